"""schemathesis hooks for tests/apps/test_openapi_fuzz.py (loaded through SCHEMATHESIS_HOOKS)."""

import schemathesis
from schemathesis import GenerationMode

INT64_MAX = 2**63 - 1


def _numbers(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


def _refused_though_valid(number) -> bool:
    """Integer fields are strict: 5.0 is refused like "5", which JSON Schema cannot say
    (to it 5.0 is the integer 5; the schemas say it in words). And schemathesis derives
    boundary values in doubles, so a `maximum` of 2**63 - 1 (a double rounds it to 2**63)
    yields "valid" numbers above it."""
    return (isinstance(number, float) and number.is_integer()) or (isinstance(number, int) and number > INT64_MAX)


@schemathesis.hook
def filter_case(context, case) -> bool:
    """Leave out the data that JSON Schema calls valid and the apps rightly refuse."""
    if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
        return True
    return not any(_refused_though_valid(number) for number in _numbers(case.body))
