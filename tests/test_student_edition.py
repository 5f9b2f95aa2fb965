"""Solutions are cut out of the sources of the student edition."""

import pytest

from tools.student_edition import strip_solutions

TEXT = """Intro.

````{exercise} One
:label: ex-one

Question one.
````

````{solution} ex-one
:class: dropdown

The answer is 42.

```python
print(42)
```
````

:::{solution} ex-two
Colon-fenced answer.
:::

After.
"""


def test_strip_solutions_removes_both_fence_styles_and_keeps_the_rest():
    stripped, removed = strip_solutions(TEXT)
    assert removed == 2
    assert "42" not in stripped and "Colon-fenced" not in stripped
    assert "Question one." in stripped and "After." in stripped and "{exercise}" in stripped


def test_unclosed_solution_is_an_error_naming_file_and_line():
    with pytest.raises(ValueError, match=r"chapters/x\.md:3: unclosed fence: the \{solution\} directive"):
        strip_solutions("Text.\n\n````{solution} ex\ntext\n", "chapters/x.md")


def test_a_solution_inside_another_directive_and_code_mentioning_one_are_handled():
    text = ("::::{admonition} Box\nkept\n:::{solution} ex\ngone\n:::\n::::\n\n"
            "```python\n```{solution} not a directive: code\n```\n")
    stripped, removed = strip_solutions(text)
    assert removed == 1 and "gone" not in stripped
    assert stripped == ("::::{admonition} Box\nkept\n::::\n\n"
                        "```python\n```{solution} not a directive: code\n```\n")
