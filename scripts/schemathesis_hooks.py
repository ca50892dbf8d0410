"""Loaded by scripts/test-api-fuzz.sh through SCHEMATHESIS_HOOKS.

Works around CPython gh-106905: under deep recursion `ast.parse` can raise
`SystemError: AST constructor recursion depth mismatch` (fixed in Python 3.12.1). Hypothesis
parses a lambda's source only to *describe* a filtered strategy in its repr; when that fails
here, the run used to stop with a tool error that says nothing about the API. The lambda is
described as unknown instead, which is what Hypothesis does for any source it cannot read.
"""

from hypothesis.internal import lambda_sources

_describe = lambda_sources._lambda_description


def _lambda_description(f, *args, **kwargs):
    try:
        return _describe(f, *args, **kwargs)
    except SystemError:
        return "lambda: <unknown>"


lambda_sources._lambda_description = _lambda_description
