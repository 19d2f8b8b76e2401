"""Sans-IO adapters of the three wire protocols: Call -> httpx.Request, response -> payload or typed error."""
