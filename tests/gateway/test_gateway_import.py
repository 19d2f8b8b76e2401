"""Without websockets installed, importing the gateway names the extra to install."""

from __future__ import annotations

import subprocess
import sys


def test_importing_without_websockets_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['websockets'] = None\n"
        "try:\n    import apiforge.gateway\nexcept ImportError as error:\n    print(error)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "apiforge.gateway needs the 'websockets' package (>= 14): pip install 'apiforge[gateway]'"
