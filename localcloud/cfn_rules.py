"""A template's `Rules` section, evaluated before a stack is created or updated, as CloudFormation does.

Sources: CloudFormation User Guide, "Rules section structure" (each rule: an optional RuleCondition,
required Assertions of Assert + optional AssertDescription; if the condition is false the rule is
skipped; if an assertion is false the stack is not created or updated) and Template Reference,
"Rule functions" (Fn::And, Fn::Contains, Fn::EachMemberEquals, Fn::EachMemberIn, Fn::Equals,
Fn::Not, Fn::Or, Fn::RefAll, Fn::ValueOf, Fn::ValueOfAll; Ref of parameters).

Evaluated here: the functions that need only the parameter values (And, Or, Not, Equals, Contains,
EachMemberEquals, EachMemberIn, Ref of a parameter or of a pseudo parameter known before the stack
exists). Fn::RefAll, Fn::ValueOf and Fn::ValueOfAll read the account (the VPCs, subnets, tags...
of a region): the local cloud cannot know what AWS would answer, so they raise RuleNotEvaluableError,
as does anything else it does not evaluate. Never treated as true.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The functions that read the account's resources (Rule functions: "Fn::RefAll returns all values
# for a specified parameter type", "Fn::ValueOf returns an attribute value or list of values").
LOOKUP_FUNCTIONS = ("Fn::RefAll", "Fn::ValueOf", "Fn::ValueOfAll")
_MIN_CONDITIONS, _MAX_CONDITIONS = 2, 10  # Fn::And / Fn::Or: "minimum ... two, maximum ... ten"


class RuleError(ValueError):
    """The template's Rules refuse the deploy (or cannot be evaluated)."""


class RuleNotEvaluableError(RuleError):
    """A rule uses something the local cloud cannot evaluate without AWS (refused, never allowed)."""


class InvalidRuleError(RuleError):
    """A rule that is not well formed (CloudFormation answers a template error)."""


class RuleAssertionError(RuleError):
    """An assertion of a rule whose condition holds evaluated to false."""

    def __init__(self, rule: str, description: str) -> None:
        super().__init__(description)
        self.rule = rule
        self.description = description


@dataclass(frozen=True)
class StackContext:
    """What the pseudo parameters resolve to for the stack being created or updated."""

    region: str
    account: str
    stack_name: str
    notification_arns: tuple[str, ...] = ()

    def pseudo(self, name: str) -> Any:
        partition = (
            "aws-cn"
            if self.region.startswith("cn-")
            else ("aws-us-gov" if self.region.startswith("us-gov-") else "aws")
        )
        known = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": partition,
            "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
            "AWS::NotificationARNs": list(self.notification_arns),
        }
        if name not in known:  # AWS::StackId (not known before the stack exists), AWS::NoValue, ...
            raise RuleNotEvaluableError(
                f"Ref {name}: the local cloud does not evaluate this pseudo parameter"
            )
        return known[name]


def parameter_values(template: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """Each declared parameter's value: the given one, else its Default; list types as lists."""
    values: dict[str, Any] = {}
    for name, declaration in (template.get("Parameters") or {}).items():
        if name in given:
            raw = given[name]
        elif "Default" in declaration:
            raw = declaration["Default"]
        else:
            continue  # no value: CloudFormation refuses the parameters before the rules; so does moto
        kind = str(declaration.get("Type", "String"))
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
        values[name] = _text(raw).split(",") if is_list and not isinstance(raw, list) else _scalar(raw)
    return values


def check(template: Mapping[str, Any], parameters: Mapping[str, Any], context: StackContext) -> None:
    """Raise RuleAssertionError for the first failed assertion of a rule whose condition holds."""
    rules = template.get("Rules") or {}
    if not isinstance(rules, dict):
        raise InvalidRuleError("Template format error: Rules must be a mapping of rule names to rules")
    evaluator = _Evaluator(parameter_values(template, parameters), context)
    for name, rule in rules.items():
        if not isinstance(rule, dict) or not isinstance(rule.get("Assertions"), list):
            raise InvalidRuleError(f"Template format error: rule {name} needs Assertions (a list)")
        condition = rule.get("RuleCondition")
        if condition is not None and not evaluator.condition(condition, f"{name}.RuleCondition"):
            continue
        for index, assertion in enumerate(rule["Assertions"]):
            if not isinstance(assertion, dict) or "Assert" not in assertion:
                raise InvalidRuleError(f"Template format error: rule {name}, assertion {index} has no Assert")
            if not evaluator.condition(assertion["Assert"], f"{name}.Assertions[{index}]"):
                # CloudFormation's text for a failed assertion is not documented; it shows the
                # AssertDescription, which is kept whole here.
                raise RuleAssertionError(
                    name, str(assertion.get("AssertDescription") or f"Rule {name} failed")
                )


def _scalar(value: Any) -> Any:
    if isinstance(value, list):
        return [_text(v) for v in value]
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Evaluator:
    def __init__(self, parameters: dict[str, Any], context: StackContext) -> None:
        self.parameters = parameters
        self.context = context

    def condition(self, expression: Any, where: str) -> bool:
        result = self.value(expression, where)
        if not isinstance(result, bool):
            raise InvalidRuleError(
                f"Template error: {where} must be a rule function that gives true or false"
            )
        return result

    def strings(self, expression: Any, where: str) -> list[str]:
        result = self.value(expression, where)
        if not isinstance(result, list):
            raise InvalidRuleError(f"Template error: {where} needs a list of strings")
        return [_text(item) for item in result]

    def string(self, expression: Any, where: str) -> str:
        result = self.value(expression, where)
        if isinstance(result, (list, bool)):
            raise InvalidRuleError(f"Template error: {where} needs a string")
        return _text(result)

    def value(self, expression: Any, where: str) -> Any:  # noqa: PLR0911, PLR0912 - one branch per function
        if isinstance(expression, list):
            return [self.value(item, where) for item in expression]
        if not isinstance(expression, dict):
            return _text(expression)
        if len(expression) != 1:
            raise InvalidRuleError(f"Template error: {where}: {sorted(expression)} is not one function")
        ((function, arguments),) = expression.items()
        if function in LOOKUP_FUNCTIONS:
            raise RuleNotEvaluableError(
                f"{where}: {function} reads the AWS account's resources; the local cloud cannot "
                "know what AWS would answer, so it refuses the deploy rather than allow it"
            )
        if function == "Ref":
            return self.ref(arguments, where)
        if function in ("Fn::And", "Fn::Or"):
            if not isinstance(arguments, list) or not _MIN_CONDITIONS <= len(arguments) <= _MAX_CONDITIONS:
                raise InvalidRuleError(f"Template error: {where}: {function} takes 2 to 10 conditions")
            results = [self.condition(item, f"{where}.{function}") for item in arguments]
            return all(results) if function == "Fn::And" else any(results)
        if function == "Fn::Not":
            if not isinstance(arguments, list) or len(arguments) != 1:
                raise InvalidRuleError(f"Template error: {where}: Fn::Not takes one condition")
            return not self.condition(arguments[0], f"{where}.Fn::Not")
        first, second = self._pair(function, arguments, where)
        if function == "Fn::Equals":
            return self.value(first, where) == self.value(second, where)
        if function == "Fn::Contains":
            return self.string(second, where) in self.strings(first, where)
        if function == "Fn::EachMemberEquals":
            expected = self.string(second, where)
            return all(item == expected for item in self.strings(first, where))
        if function == "Fn::EachMemberIn":
            allowed = set(self.strings(second, where))
            return all(item in allowed for item in self.strings(first, where))
        raise RuleNotEvaluableError(f"{where}: the local cloud does not evaluate {function} in Rules")

    def ref(self, name: Any, where: str) -> Any:
        if not isinstance(name, str):
            raise InvalidRuleError(f"Template error: {where}: Ref needs a name")
        if name.startswith("AWS::"):
            return self.context.pseudo(name)
        if name not in self.parameters:
            raise InvalidRuleError(f"Template error: {where}: Ref {name} is not a parameter with a value")
        return self.parameters[name]

    @staticmethod
    def _pair(function: str, arguments: Any, where: str) -> tuple[Any, Any]:
        known = ("Fn::Equals", "Fn::Contains", "Fn::EachMemberEquals", "Fn::EachMemberIn")
        if function not in known:
            raise RuleNotEvaluableError(f"{where}: the local cloud does not evaluate {function} in Rules")
        if not isinstance(arguments, list) or len(arguments) != 2:
            raise InvalidRuleError(f"Template error: {where}: {function} takes two arguments")
        return arguments[0], arguments[1]
