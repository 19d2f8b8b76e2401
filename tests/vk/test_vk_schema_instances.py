"""Values generated from the spec's schemas decode into the generated types.

For every method and each of its result variants, the instances of its result schema
(tests/vk/schema_instances.py: minimal, full, full with the other choices) decode through
`decode_response` into values of the declared result type, all the way down. For every one of the
425 response definitions of the official schema (the `*_response*` models of specs/vk), its
instances decode into the model's generated type.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import apiforge.vk.models
from apiforge.core.call import PRESENT, MethodSpec, Variant
from apiforge.core.converter import structure
from apiforge.vk import METHODS, decode_response
from codegen.spec.load import load_api
from codegen.spec.model import Method, Spec
from codegen.spec.naming import camel
from tests.vk.conformance import problems
from tests.vk.schema_instances import instances

SPECS = Path(__file__).resolve().parents[2] / "specs" / "vk"
_RESPONSE = re.compile(r"_response", re.IGNORECASE)


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_api(SPECS)


@pytest.fixture(scope="module")
def defs(spec: Spec) -> dict[str, Any]:
    return {name: model.schema for name, model in spec.models.items()}


@pytest.fixture(scope="module")
def methods(spec: Spec) -> dict[str, Method]:
    return {m.name: m for group in spec.groups for m in group.methods}


def _response_definitions(spec: Spec) -> list[str]:
    """The models made from the schema's responses.json files (their `*_item` parts excluded)."""
    return sorted(n for n in spec.models if _RESPONSE.search(n) and not n.endswith("_item"))


def _selecting_params(variant: Variant) -> dict[str, object]:
    """Wire-named parameter values that select `variant`."""
    return {wire: 1 if wanted is PRESENT else wanted for wire, wanted in variant.when}


def _cases(runtime: MethodSpec[Any], method: Method) -> list[tuple[str, dict[str, object], object, Any]]:
    """(name, params, result type, result schema) for the default result and every variant."""
    cases: list[tuple[str, dict[str, object], object, Any]] = [("default", {}, runtime.result, method.result)]
    schemas = {v.name: v.result for v in method.variants}
    for variant in runtime.variants:
        cases.append((variant.name, _selecting_params(variant), variant.result, schemas[variant.name]))
    return cases


@pytest.mark.parametrize("name", sorted(METHODS))
def test_method_results_decode(name: str, methods: dict[str, Method], defs: dict[str, Any]) -> None:
    runtime = METHODS[name].spec
    method = methods[name]
    assert len(runtime.variants) == len(method.variants)
    for variant, params, result_type, schema in _cases(runtime, method):
        assert runtime.result_type(params) is result_type, f"{variant}: {params} select another result"
        for index, value in enumerate(instances(schema, defs)):
            decoded = decode_response(name, {"response": value}, params)
            found = problems(decoded, result_type)
            assert not found, f"{name} ({variant}, instance {index}): {found[:3]}"


def test_there_are_425_response_definitions(spec: Spec) -> None:
    assert len(_response_definitions(spec)) == 425


def test_every_response_definition_is_a_generated_type(spec: Spec) -> None:
    missing = [n for n in _response_definitions(spec) if camel(n) not in dir(apiforge.vk.models)]
    assert not missing


@pytest.fixture(scope="module")
def response_names(spec: Spec) -> list[str]:
    return _response_definitions(spec)


@pytest.mark.parametrize("chunk", range(17))
def test_response_definitions_decode(chunk: int, response_names: list[str], defs: dict[str, Any]) -> None:
    """The 425 definitions in 17 chunks of 25 (a failure names the definition)."""
    for name in response_names[chunk * 25 : (chunk + 1) * 25]:
        tp = getattr(apiforge.vk.models, camel(name))
        for index, value in enumerate(instances(defs[name], defs)):
            decoded = structure(value, tp, method=name)
            found = problems(decoded, tp)
            assert not found, f"{name} (instance {index}): {found[:3]}"


def test_instances_differ_and_fill_optional_fields(defs: dict[str, Any]) -> None:
    """The generator really varies: minimal leaves optional fields out, full fills them."""
    minimal, full, other = instances({"$ref": "#/$defs/users_get_response"}, defs)
    assert set(minimal[0]) == {"id"}
    assert {"id", "first_name", "photo_100", "city"} <= set(full[0])
    assert full != other and len(other) == 2
