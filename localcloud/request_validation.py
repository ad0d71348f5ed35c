"""Requests checked as AWS checks them: the constraint traits of botocore's input shapes.

botocore's client-side `ParamValidator` checks types, required members and the `min` trait only
(`botocore/validate.py`: `VALIDATED_METADATA_ATTRS = {'required', 'min', 'document', 'union'}`);
the service checks the rest (`max`, `pattern`, `enum`) and answers with a 400. `check_request` makes
the local cloud answer the same way:

    check_request(client.meta.service_model, "CreateModelPackageGroup", api_params)

checks `api_params` (as given to the client method, before serialisation) against the operation's
input shape, recursively through structures, lists and maps:

- strings: `min`/`max` length in code points, `pattern` (Java regex, translated to Python `re`
  here, matched against the whole value), `enum` where the service enforces it;
- lists and maps: `min`/`max` number of entries, then their members, keys and values;
- blobs: `min`/`max` length in bytes (str bodies as UTF-8; file-like bodies are not read);
- integers, longs, floats, doubles: `min`/`max` value.

On violations it raises `botocore.exceptions.ClientError` (or the class `error_class_for(code)`
returns, e.g. `client.exceptions.from_code`) with HTTP status 400, the service's error code and
AWS's message, every violation listed:

    1 validation error detected: Value 'bad name!' at 'modelPackageGroupName' failed to satisfy
    constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$

Where the local cloud cannot know AWS's answer it refuses loudly instead of allowing silently:
a pattern this module cannot translate raises `UntranslatablePattern` (naming the pattern) when a
value is checked against it, and a violation in a service whose answer is not modelled here (S3,
SNS, SQS, services not in `SERVICE_POLICIES`) raises `UnmodelledRejection`.

AWS's own words, each from a real response quoted in a public issue:

- Message form, list paths `.N.member` (1-based), camelCase member paths, `;`-joined errors:
  "2 validation errors detected: Value '...' at 'modelName' failed to satisfy constraint: Member
  must have length less than or equal to 63; Value '...' at 'modelName' failed to satisfy
  constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*"
  (SageMaker CreateModel, aws-samples/sagemaker-ml-workflow-with-apache-airflow#3);
  "Value '...' at 'tags.1.member.key' ... Member must have length less than or equal to 127"
  (EBS direct APIs, awslabs/coldsnap#378); "Value '...' at 'code.s3Bucket' ... Error Code:
  ValidationException" (Lambda, awslabs/aws-transit-vpc#32).
- Member names are the model's with the first letter lower-cased, nothing else: Lambda's
  `KMSKeyArn` is reported "at 'kMSKeyArn'" (highsource/bitcoin-a-day#1).
- Sensitive members show no value: "Value at 'environment.variables' failed to satisfy constraint:
  Map keys must satisfy constraint: [Member must satisfy regular expression pattern:
  [a-zA-Z]([a-zA-Z0-9_])+]" (Lambda, klothoplatform/klotho#317; the shape is `sensitive`);
  "Value at 'value' failed to satisfy constraint: Member must have ..." (SSM PutParameter,
  crossplane-contrib/provider-upjet-aws#1559; `PSParameterValue` is `sensitive`).
- Map keys and values: "Value '{k=v, ...}' at 'tags' failed to satisfy constraint: Map value must
  satisfy constraint: [Member must have length less than or equal to 256, Member must have length
  greater than or equal to 0, Member must satisfy regular expression pattern: ^(...)$]"
  (Lambda TagResource, cloud-custodian/cloud-custodian#2520; GorillaStack auto-tag#77), "Map keys
  must satisfy constraint: [Member must have length less than or equal to 64, Member must have
  length greater than or equal to 1, Member must satisfy regular expression pattern: ...]"
  (QuickSight, boto/boto3#2601): one error per map for its keys and one for its values, listing
  every constraint of the key (value) shape, max before min before pattern.
- Lists of scalars: one error at the list, "Value '[CAPABILITY_IAM, ...]' at 'capabilities' failed
  to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set:
  [...]]" (CloudFormation, CodeGenieApp/serverless-express#59; ECR in aws-actions/
  amazon-ecr-login#225).
- Enums: "Value 'ml.t2.medium' at 'resourceConfig.instanceType' failed to satisfy constraint:
  Member must satisfy enum value set: [ml.p2.xlarge, ...]" (SageMaker CreateTrainingJob,
  aws-samples/aws-sagemaker-heart-disease-prediction#1). AWS lists the set in no stable order
  (SSM gives "[SecureString, StringList, String]", aws/aws-cli#3116, where the model has String,
  StringList, SecureString); this module lists the model's order.
- Numbers: "Value '100' at 'maxResults' failed to satisfy constraint: Member must have value less
  than or equal to 50" (SSM, flanksource/config-db#35). Some newer services omit numeric values
  ("Value at 'maxResults'", Lex V2 in cloud-custodian/cloud-custodian#9944); this module shows them.
- Required members: "Value null at 'tags.1.member.value' failed to satisfy constraint: Member must
  not be null" (CloudFormation, serverless/serverless#2036).
- Patterns match the whole value: STS rejects 'PowerUser/hjacobs' for `[\\w+=,.@-]*` although a
  prefix (even the empty string) matches (zalando-stups/aws-credentials-service#7), so the
  check is Java's `Matcher.matches()`, here `re.fullmatch`.
- Lengths count code points ("Smithy length counts Unicode code points, not UTF-16 units",
  probed against AWS SES v2 in floci-io/floci#2504).

What is not AWS's for certain, and so chosen here (documented, tested as chosen): the order of
errors for one member (AWS's varies: "pattern; length" in flynn/flynn#3951 but "length; pattern"
in the SageMaker example above) is max, min, pattern, enum; a structure inside a rendered value
is written `{member=value, ...}` (AWS prints a Java object, e.g.
`com.amazonaws.services.quicksight.PhysicalTable@cdda30d`); blob values are not shown; a
structure inside a map is reported at `<map>.<key>.<member>`.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

import botocore.session
from botocore.exceptions import ClientError, ParamValidationError
from botocore.model import ServiceModel, Shape
from botocore.validate import ParamValidator

__all__ = [
    "SERVICE_POLICIES",
    "PatternRefusal",
    "ServicePolicy",
    "UnmodelledRejection",
    "UntranslatablePattern",
    "check_request",
    "input_patterns",
    "translate_pattern",
    "untranslatable_patterns",
]


# --------------------------------------------------------------------------------------------
# Errors of this module
# --------------------------------------------------------------------------------------------


class UntranslatablePattern(Exception):  # noqa: N818 - a refusal, named for what it refuses
    """A Java regex from a botocore model that this module cannot translate to Python `re`."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"cannot translate the Java pattern {pattern!r}: {reason}")
        self.pattern = pattern
        self.reason = reason


class UnmodelledRejection(Exception):  # noqa: N818 - a refusal, named for what it refuses
    """The request breaks its input shape's constraints, but AWS's answer to that is not known here.

    `violations` are the AWS-form lines ("Value '...' at '...' failed to satisfy constraint: ...").
    """

    def __init__(self, service: str, operation: str, violations: Sequence[str], why: str) -> None:
        super().__init__(
            f"{service}.{operation} breaks its input shape ({'; '.join(violations)}), and the local "
            f"cloud does not know how AWS answers that: {why}"
        )
        self.service = service
        self.operation = operation
        self.violations = list(violations)
        self.why = why


# --------------------------------------------------------------------------------------------
# Per-service answers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServicePolicy:
    """How a service answers a request that breaks its input shape's constraints.

    `error_code` None: AWS's answer is not known here, a violation raises `UnmodelledRejection`.
    `enforce_enum`: whether values outside a string shape's `enum` are refused by the service.
    `enum_refusal`: shape names whose enum violations get another answer (refused as unmodelled).
    """

    error_code: str | None
    enforce_enum: bool
    source: str
    sender_fault: bool = False  # query-protocol errors carry "Type": "Sender"
    enum_refusal: frozenset[str] = frozenset()


SERVICE_POLICIES: dict[str, ServicePolicy] = {
    "sagemaker": ServicePolicy(
        "ValidationException",
        True,
        "CreateModel: '2 validation errors detected: ... at 'modelName' ...' (aws-samples/"
        "sagemaker-ml-workflow-with-apache-airflow#3); 'Error Code: ValidationException' with "
        "'Service: AmazonSageMaker' (awslabs/sagemaker-deep-demand-forecast#41); enum: "
        "aws-samples/aws-sagemaker-heart-disease-prediction#1",
    ),
    "stepfunctions": ServicePolicy(
        # Name/ARN *semantics* are InvalidName/InvalidArn (API reference), but a broken length
        # trait is the generic answer: "ValidationException: 1 validation error detected: Value
        # '...' at 'name' failed to satisfy constraint: Member must have length less than or
        # equal to 80" (getmoto/moto#6438, gchq/sleeper#1869). Enum: the same validation layer.
        "ValidationException",
        True,
        "StartExecution name > 80: getmoto/moto#6438, gchq/sleeper#1869",
    ),
    "lambda": ServicePolicy(
        "ValidationException",
        True,
        "'Value ... at 'code.s3Bucket' ... Error Code: ValidationException' (awslabs/"
        "aws-transit-vpc#32); enum: 'Value 'g1.x' at 'runtime' ... Member must satisfy enum "
        "value set' as ValidationException (aws/aws-cli#3229)",
        # Since 2020 a bad Runtime is InvalidParameterValueException "... or be a valid ARN"
        # (awslabs/amazon-redshift-monitoring#25): another answer, not modelled here.
        enum_refusal=frozenset({"Runtime"}),
    ),
    "events": ServicePolicy(
        "ValidationException",
        True,
        "PutRule/PutTargets: 'ValidationException: 1 validation error detected: Value '...' at "
        "'eventBusName' failed to satisfy constraint: Member must satisfy regular expression "
        "pattern: [\\.\\-_A-Za-z0-9]+' (aws/aws-sdk-js#4572, aws/aws-sdk-js-v3#2240)",
    ),
    "dynamodb": ServicePolicy(
        "ValidationException",
        True,
        "CreateTable: 'ValidationException ... Value ... at 'tableName' ... pattern: "
        "[a-zA-Z0-9_.-]+' (aws/aws-cli#790); enum: 'ValidationException: Member must satisfy "
        "enum value set: [B, N, S]' (aws/aws-sdk-js#979)",
    ),
    "ssm": ServicePolicy(
        "ValidationException",
        True,
        "'ValidationException: 1 validation error detected: Value '100' at 'maxResults' ...' "
        "(flanksource/config-db#35); enum: 'Member must satisfy enum value set: [SecureString, "
        "StringList, String]' (aws/aws-cli#3116)",
    ),
    "kms": ServicePolicy(
        "ValidationException",
        True,
        "'KMS.ValidationException: 1 validation error detected: Value '' at 'keyId' failed to "
        "satisfy constraint: Member must have length greater than or equal to 1' (stelligent/mu#382)",
    ),
    "scheduler": ServicePolicy(
        "ValidationException",
        True,
        "'ValidationException: Value '...' at 'name' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: [0-9a-zA-Z-_.]+' (webiny/webiny-js#5445)",
    ),
    "sts": ServicePolicy(
        # STS (query protocol) says ValidationError, not ...Exception:
        # {"Error":{"Code":"ValidationError","Message":"1 validation error detected: Value 'a:b'
        # at 'roleSessionName' ...","Type":"Sender"}} (JuliaCloud/AWSCore.jl#38; moto#9218).
        "ValidationError",
        True,
        "AssumeRole: JuliaCloud/AWSCore.jl#38, zalando-stups/aws-credentials-service#7",
        sender_fault=True,
    ),
    # S3 does not run this validation: its errors are per parameter (InvalidBucketName,
    # KeyTooLongError, InvalidArgument, InvalidStorageClass, "InvalidTag: The TagKey you have
    # provided is invalid" in versity/versitygw#1232), so no one answer can be given here.
    "s3": ServicePolicy(None, True, "per-parameter S3 errors, see versity/versitygw#1232"),
    # No public SNS response to a broken trait was found: refuse rather than guess.
    "sns": ServicePolicy(None, True, "no SNS example found"),
    # SQS's model has enums only, and a value outside them is "InvalidAttributeName: Unknown
    # Attribute KmsMasterKeyId" (aquasecurity/cloudsploit#102), not this validation.
    "sqs": ServicePolicy(None, True, "SQS answers InvalidAttributeName (aquasecurity/cloudsploit#102)"),
}


# --------------------------------------------------------------------------------------------
# Java regex -> Python re
# --------------------------------------------------------------------------------------------

_MAX_CP = 0x10FFFF
Ranges = list[tuple[int, int]]

# Java's `.` without DOTALL excludes the line terminators (java.util.regex.Pattern docs).
_JAVA_LINE_TERMINATORS: Ranges = [(0x0A, 0x0A), (0x0D, 0x0D), (0x85, 0x85), (0x2028, 0x2029)]
# Without UNICODE_CHARACTER_CLASS, Java's \d \w \s are ASCII (Pattern docs); as with re.ASCII.
_ASCII_SETS: dict[str, Ranges] = {
    "d": [(0x30, 0x39)],
    "w": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
    "s": [(0x09, 0x0D), (0x20, 0x20)],  # [ \t\n\x0B\f\r]
}
# Java's POSIX classes (US-ASCII only), from the java.util.regex.Pattern documentation.
_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_POSIX: dict[str, Ranges] = {
    "Lower": [(0x61, 0x7A)],
    "Upper": [(0x41, 0x5A)],
    "ASCII": [(0x00, 0x7F)],
    "Alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "Digit": [(0x30, 0x39)],
    "Alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
    "Punct": [(ord(c), ord(c)) for c in _PUNCT],
    "Graph": [(0x21, 0x7E)],  # [\p{Alnum}\p{Punct}]
    "Print": [(0x20, 0x7E)],  # [\p{Graph}\x20]
    "Blank": [(0x09, 0x09), (0x20, 0x20)],
    "Cntrl": [(0x00, 0x1F), (0x7F, 0x7F)],
    "XDigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
    "Space": [(0x09, 0x0D), (0x20, 0x20)],
}
_GENERAL_CATEGORIES = {
    "L": ("Lu", "Ll", "Lt", "Lm", "Lo"),
    "M": ("Mn", "Mc", "Me"),
    "N": ("Nd", "Nl", "No"),
    "P": ("Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"),
    "S": ("Sm", "Sc", "Sk", "So"),
    "Z": ("Zs", "Zl", "Zp"),
    "C": ("Cc", "Cf", "Cs", "Co", "Cn"),
}
_TWO_LETTER = {c for group in _GENERAL_CATEGORIES.values() for c in group}
_category_lock = threading.Lock()
_category_ranges: dict[str, Ranges] | None = None


def _categories() -> dict[str, Ranges]:
    """Code point ranges per two-letter general category (Python's unicodedata, Unicode 14).

    Java's tables follow its own Unicode version (13 in Java 17, 15 in Java 21): they differ only
    for code points assigned in between. Built once, about 0.3 s.
    """
    global _category_ranges  # noqa: PLW0603 - a lazily built table
    with _category_lock:
        if _category_ranges is None:
            table: dict[str, Ranges] = {}
            start, current = 0, unicodedata.category("\0")
            for cp in range(1, _MAX_CP + 2):
                cat = unicodedata.category(chr(cp)) if cp <= _MAX_CP else ""
                if cat != current:
                    table.setdefault(current, []).append((start, cp - 1))
                    start, current = cp, cat
            _category_ranges = table
        return _category_ranges


def _normalize(ranges: Ranges) -> Ranges:
    merged: Ranges = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def _complement(ranges: Ranges) -> Ranges:
    out: Ranges = []
    nxt = 0
    for lo, hi in _normalize(ranges):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= _MAX_CP:
        out.append((nxt, _MAX_CP))
    return out


def _intersect(a: Ranges, b: Ranges) -> Ranges:
    out: Ranges = []
    a, b = _normalize(a), _normalize(b)
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _esc(cp: int) -> str:
    if cp < 0x80 and chr(cp).isalnum():
        return chr(cp)
    if cp < 0x100:
        return f"\\x{cp:02x}"
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def _render_set(ranges: Ranges) -> str:
    ranges = _normalize(ranges)
    if not ranges:
        return "(?!)"  # Java: a class that matches nothing
    parts = [_esc(lo) if lo == hi else f"{_esc(lo)}-{_esc(hi)}" for lo, hi in ranges]
    return "[" + "".join(parts) + "]"


_SIMPLE_ESCAPES = {"t": 0x09, "n": 0x0A, "r": 0x0D, "f": 0x0C, "a": 0x07, "e": 0x1B}
_QUANTIFIER = re.compile(r"\*|\+|\?|\{(\d+)(,(\d*))?\}")


class _Translator:
    """A Java `java.util.regex.Pattern` text to a Python `re` text with the same matches.

    Everything not handled explicitly is refused (`UntranslatablePattern`), never passed through.
    """

    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0
        self.out: list[str] = []
        self.last: str | None = None  # None (nothing to quantify), "atom" or "anchor"

    def fail(self, reason: str) -> UntranslatablePattern:
        return UntranslatablePattern(self.p, reason)

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.p[j] if j < len(self.p) else ""

    # -- top level ---------------------------------------------------------------------------
    def translate(self) -> str:
        while self.i < len(self.p):
            c = self.p[self.i]
            if c == "\\":
                self._escape_outside()
            elif c == "[":
                self._atom(_render_set(self._class()))
            elif c == "(":
                self._group()
            elif c == ")":
                self.i += 1
                self.out.append(")")
                self.last = "atom"
            elif c == "|":
                self.i += 1
                self.out.append("|")
                self.last = None
            elif c in "*+?{":
                self._quantifier()
            elif c == ".":
                self.i += 1
                self._atom(_render_set(_complement(_JAVA_LINE_TERMINATORS)))
            elif c in "^$":
                # Without MULTILINE: start of input; end of input or before a final line
                # terminator. Matched with fullmatch, `$` can only succeed at the very end.
                self.i += 1
                self.out.append(c)
                self.last = "anchor"
            else:
                self.i += 1
                self._atom(_esc(ord(c)))
        return "".join(self.out)

    def _atom(self, text: str) -> None:
        self.out.append(text)
        self.last = "atom"

    def _quantifier(self) -> None:
        m = _QUANTIFIER.match(self.p, self.i)
        if not m:
            raise self.fail(f"'{{' at {self.i} is not a quantifier (Java: illegal repetition)")
        text = m.group(0)
        self.i = m.end()
        if self.peek() in ("?", "+"):  # lazy or possessive: Python 3.11 reads both
            text += self.peek()
            self.i += 1
        if self.last is None:
            raise self.fail(f"quantifier {text!r} at {m.start()} has nothing to repeat")
        if self.last == "anchor":
            # Java repeats a zero-width anchor (e.g. `${1,128}`); Python needs a group around it.
            self.out[-1] = f"(?:{self.out[-1]})"
        self.out.append(text)
        self.last = "atom"

    def _group(self) -> None:
        p, i = self.p, self.i
        for java, python in (
            ("(?:", "(?:"),
            ("(?=", "(?="),
            ("(?!", "(?!"),
            ("(?<=", "(?<="),
            ("(?<!", "(?<!"),
            ("(?>", "(?>"),  # atomic group: Python 3.11+
            ("(?i)", "(?i)"),  # ASCII case folding, as Java without UNICODE_CASE (re.ASCII)
            ("(?i:", "(?i:"),
        ):
            if p.startswith(java, i):
                self.i += len(java)
                self.out.append(python)
                self.last = None
                return
        m = re.compile(r"\(\?<([a-zA-Z][a-zA-Z0-9]*)>").match(p, i)
        if m:
            self.i = m.end()
            self.out.append(f"(?P<{m.group(1)}>")
            self.last = None
            return
        if p.startswith("(?", i):
            raise self.fail(f"group construct {p[i : i + 4]!r}... at {i} (flags other than i)")
        self.i += 1
        self.out.append("(")
        self.last = None

    # -- escapes -----------------------------------------------------------------------------
    def _hex(self, digits: int) -> int:
        text = self.p[self.i : self.i + digits]
        if len(text) != digits or not all(c in "0123456789abcdefABCDEF" for c in text):
            raise self.fail(f"bad hex escape at {self.i}")
        self.i += digits
        return int(text, 16)

    def _escape_value(self) -> int | Ranges:
        """The escape at self.i (backslash included): a code point, or a set of code points."""
        self.i += 1
        c = self.peek()
        if not c:
            raise self.fail("trailing backslash")
        self.i += 1
        if c in "dws":
            return _ASCII_SETS[c]
        if c in "DWS":
            return _complement(_ASCII_SETS[c.lower()])
        if c in "pP":
            return self._property(negated=c == "P")
        if c in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[c]
        reader = {"x": self._x_escape, "u": self._u_escape, "0": self._octal_escape, "c": self._control}
        if c in reader:
            return reader[c]()
        if c.isalnum() and c.isascii():
            # \b \B (Java's word boundary follows Unicode letters until JDK 19, \w does not),
            # \G \R \X \h \H \v \V \N \k, back references, \Q...\E in classes: not handled.
            raise self.fail(f"escape \\{c} is not handled by this translator")
        return ord(c)  # an escaped metacharacter or punctuation: itself

    def _x_escape(self) -> int:
        if self.peek() != "{":
            return self._hex(2)
        end = self.p.find("}", self.i)
        text = self.p[self.i + 1 : end] if end >= 0 else ""
        if end < 0 or not text or any(ch not in "0123456789abcdefABCDEF" for ch in text):
            raise self.fail(f"bad \\x{{...}} escape at {self.i}")
        self.i = end + 1
        return int(text, 16)

    def _u_escape(self) -> int:
        cp = self._hex(4)
        # Java joins an escaped surrogate pair into one code point (Pattern.u()).
        if 0xD800 <= cp <= 0xDBFF and self.p.startswith("\\u", self.i):
            save = self.i
            self.i += 2
            low = self._hex(4)
            if 0xDC00 <= low <= 0xDFFF:
                return 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
            self.i = save
        return cp

    def _octal_escape(self) -> int:
        digits = ""
        while len(digits) < 3 and self.peek() and self.peek() in "01234567":
            digits += self.peek()
            self.i += 1
        if not digits or int(digits, 8) > 0o377:
            raise self.fail("bad octal escape \\0")
        return int(digits, 8)

    def _control(self) -> int:
        ch = self.peek()
        if not ch:
            raise self.fail("\\c at the end")
        self.i += 1
        return ord(ch) ^ 64

    def _property(self, negated: bool) -> Ranges:
        if self.peek() == "{":
            end = self.p.find("}", self.i)
            if end < 0:
                raise self.fail("unclosed \\p{")
            name = self.p[self.i + 1 : end]
            self.i = end + 1
        else:
            name = self.peek()
            self.i += 1
        ranges = self._property_ranges(name)
        return _complement(ranges) if negated else ranges

    def _property_ranges(self, name: str) -> Ranges:
        bare = name[2:] if name.startswith("Is") and len(name) <= 4 else name
        for prefix in ("gc=", "general_category="):
            if bare.startswith(prefix):
                bare = bare[len(prefix) :]
        if bare in _GENERAL_CATEGORIES:
            table = _categories()
            return _normalize([r for cat in _GENERAL_CATEGORIES[bare] for r in table.get(cat, [])])
        if bare in _TWO_LETTER:
            return list(_categories().get(bare, []))
        if name in _POSIX:
            return _POSIX[name]
        raise self.fail(
            f"\\p{{{name}}}: only general categories and the POSIX classes are handled "
            "(not scripts, blocks, binary properties or java* classes)"
        )

    def _escape_outside(self) -> None:
        nxt = self.peek(1)
        if nxt == "A":
            self.i += 2
            self.out.append("\\A")
            self.last = "anchor"
            return
        if nxt == "z":
            self.i += 2
            self.out.append("\\Z")  # Python's \Z is Java's \z: the very end
            self.last = "anchor"
            return
        if nxt == "Z":
            self.i += 2
            self.out.append("(?=(?:\\r\\n|[\\n\\r\\x85\\u2028\\u2029])?\\Z)")
            self.last = "anchor"
            return
        if nxt in ("b", "B"):
            # A word boundary. Java's `\b` looks at Unicode letters and digits until JDK 19 and at
            # `\w` ([a-zA-Z0-9_]) since; Python's `\b` under re.ASCII is the latter. The two agree
            # on ASCII text, so a value with other characters is refused where this pattern is
            # used (`_regex_for`), never decided on one reading.
            self.i += 2
            self.out.append("\\" + nxt)
            self.last = "anchor"
            return
        if nxt == "Q":
            end = self.p.find("\\E", self.i + 2)
            literal = self.p[self.i + 2 :] if end < 0 else self.p[self.i + 2 : end]
            self.i = len(self.p) if end < 0 else end + 2
            for ch in literal:
                self._atom(_esc(ord(ch)))
            return
        value = self._escape_value()
        self._atom(_esc(value) if isinstance(value, int) else _render_set(value))

    # -- character classes -------------------------------------------------------------------
    def _class_char(self) -> int | Ranges:
        c = self.peek()
        if c == "\\":
            if self.peek(1) == "Q":
                raise self.fail("\\Q inside a character class")
            return self._escape_value()
        self.i += 1
        return ord(c)

    def _class(self) -> Ranges:
        """Java class semantics (JDK 9+: a leading ^ negates the whole class, nested ones too)."""
        start = self.i
        self.i += 1
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        intersected: Ranges | None = None
        current: Ranges = []
        first = True
        while True:
            c = self.peek()
            if not c:
                raise self.fail(f"unclosed character class at {start}")
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if c == "[":
                current.extend(self._class())
                continue
            if c == "&" and self.peek(1) == "&":
                self.i += 2
                intersected = current if intersected is None else _intersect(intersected, current)
                current = []
                continue
            item = self._class_char()
            if isinstance(item, list):
                current.extend(item)  # a '-' after a set is a literal in Java
                continue
            if self.peek() == "-" and self.peek(1) not in ("]", "[", ""):
                self.i += 1
                end = self._class_char()
                if not isinstance(end, int):
                    raise self.fail(f"range to a class escape at {self.i}")
                if end < item:
                    raise self.fail(f"illegal character range at {self.i}")
                current.append((item, end))
            else:
                current.append((item, item))
        result = current if intersected is None else _intersect(intersected, current)
        return _complement(result) if negate else _normalize(result)


@cache
def translate_pattern(pattern: str) -> str:
    """The Python `re` text (to compile with re.ASCII, match with fullmatch) for a Java pattern.

    Raises UntranslatablePattern for what it cannot translate, including what Python cannot compile.
    """
    text = _Translator(pattern).translate()
    try:
        re.compile(text, re.ASCII)
    except re.error as exc:
        raise UntranslatablePattern(pattern, f"Python re cannot compile the translation: {exc}") from None
    return text


_compile_lock = threading.Lock()
_compiled: dict[str, re.Pattern[str] | UntranslatablePattern] = {}


def _regex(pattern: str) -> re.Pattern[str]:
    """Compiled once per pattern text; a refusal is remembered too and raised on each use."""
    found = _compiled.get(pattern)
    if found is None:
        with _compile_lock:
            found = _compiled.get(pattern)
            if found is None:
                try:
                    found = re.compile(translate_pattern(pattern), re.ASCII)
                except UntranslatablePattern as exc:
                    found = exc
                _compiled[pattern] = found
    if isinstance(found, UntranslatablePattern):
        raise UntranslatablePattern(found.pattern, found.reason)
    return found


def _regex_for(pattern: str, value: str) -> re.Pattern[str]:
    """`_regex(pattern)`, refusing a non-ASCII value where a word boundary's meaning depends on the
    Java version AWS runs (see `_Translator._escape_outside`)."""
    regex = _regex(pattern)
    if not value.isascii() and ("\\b" in regex.pattern or "\\B" in regex.pattern):
        raise UntranslatablePattern(
            pattern,
            "a word boundary (\\b, \\B) next to non-ASCII text means different things in Java 8-18 and 19+",
        )
    return regex


# --------------------------------------------------------------------------------------------
# Plans: what to check, built once per shape
# --------------------------------------------------------------------------------------------

_SCALARS = frozenset({"string", "integer", "long", "float", "double", "blob"})
_NUMBERS = frozenset({"integer", "long", "float", "double"})


@dataclass(eq=False)
class _Node:
    kind: str
    shape_name: str
    sensitive: bool = False
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    enum: tuple[str, ...] = ()
    enum_refused: bool = False  # enum violations have an answer not modelled here
    members: list[tuple[str, str, _Node]] = field(default_factory=list)
    required: tuple[tuple[str, str], ...] = ()
    member: _Node | None = None
    key: _Node | None = None
    value: _Node | None = None
    has_checks: bool = False
    hides_value: bool = False  # sensitive here or anywhere inside

    def constraints(self) -> list[str]:
        """This scalar shape's constraints, worded as AWS words them (max, min, pattern, enum)."""
        unit = "value" if self.kind in _NUMBERS else "length"
        out = []
        if self.max is not None:
            out.append(f"Member must have {unit} less than or equal to {_number(self.max)}")
        if self.min is not None:
            out.append(f"Member must have {unit} greater than or equal to {_number(self.min)}")
        if self.pattern is not None:
            out.append(f"Member must satisfy regular expression pattern: {self.pattern}")
        if self.enum:
            out.append(f"Member must satisfy enum value set: [{', '.join(self.enum)}]")
        return out


def _number(limit: float) -> str:
    return str(int(limit)) if float(limit).is_integer() else repr(limit)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


class _PlanBuilder:
    def __init__(self, policy: ServicePolicy | None) -> None:
        self.policy = policy
        self.memo: dict[tuple[str, str], _Node] = {}

    def build(self, shape: Shape) -> _Node:
        key = (shape.name, repr(sorted(shape.metadata.items())))
        found = self.memo.get(key)
        if found is not None:
            return found
        md = shape.metadata
        node = _Node(kind=shape.type_name, shape_name=shape.name, sensitive=bool(md.get("sensitive")))
        self.memo[key] = node  # before recursing: recursive shapes point at this node
        if shape.type_name in _SCALARS:
            node.min, node.max = md.get("min"), md.get("max")
            if shape.type_name == "string":
                node.pattern = md.get("pattern")
                enforce = self.policy.enforce_enum if self.policy else True
                if enforce and getattr(shape, "enum", None):
                    node.enum = tuple(shape.enum)
                    node.enum_refused = bool(self.policy and shape.name in self.policy.enum_refusal)
            node.has_checks = any(v is not None for v in (node.min, node.max, node.pattern)) or bool(
                node.enum
            )
            node.hides_value = node.sensitive or shape.type_name == "blob"
        elif shape.type_name == "structure":
            members = shape.members
            node.required = tuple((n, _camel(n)) for n in md.get("required", []) if n in members)
            for name, member_shape in members.items():
                node.members.append((name, _camel(name), self.build(member_shape)))
        elif shape.type_name == "list":
            node.min, node.max = md.get("min"), md.get("max")
            node.member = self.build(shape.member)
        elif shape.type_name == "map":
            node.min, node.max = md.get("min"), md.get("max")
            node.key = self.build(shape.key)
            node.value = self.build(shape.value)
        return node

    def finish(self, root: _Node) -> None:
        """has_checks / hides_value of containers, to a fixed point (shapes can be recursive)."""
        nodes = list({id(n): n for n in self.memo.values()}.values())
        changed = True
        while changed:
            changed = False
            for n in nodes:
                kids = [c for c in (n.member, n.key, n.value) if c is not None] + [m[2] for m in n.members]
                checks = n.has_checks or bool(n.required) or n.min is not None or n.max is not None
                checks = checks or any(k.has_checks for k in kids)
                hides = n.hides_value or n.sensitive or any(k.hides_value for k in kids)
                if checks != n.has_checks or hides != n.hides_value:
                    n.has_checks, n.hides_value = checks, hides
                    changed = True
        for n in nodes:
            n.members = [m for m in n.members if m[2].has_checks]


_plan_lock = threading.Lock()
_plans: dict[tuple[str, str, str], _Node | None] = {}


def _plan(service_model: ServiceModel, operation_name: str) -> _Node | None:
    key = (service_model.service_name, service_model.api_version, operation_name)
    try:
        return _plans[key]
    except KeyError:
        pass
    with _plan_lock:
        if key not in _plans:
            shape = service_model.operation_model(operation_name).input_shape
            if shape is None:
                _plans[key] = None
            else:
                builder = _PlanBuilder(SERVICE_POLICIES.get(service_model.service_name))
                root = builder.build(shape)
                builder.finish(root)
                _plans[key] = root if root.has_checks else None
        return _plans[key]


# --------------------------------------------------------------------------------------------
# Checking
# --------------------------------------------------------------------------------------------


def _java_double(x: float) -> str:
    """Java's Double.toString: plain between 10^-3 and 10^7, else d.dddE±n."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    if 1e-3 <= abs(x) < 1e7:
        text = repr(x)
        return text if "." in text else text + ".0"
    sign, digits, exponent = Decimal(repr(x)).normalize().as_tuple()
    assert isinstance(exponent, int)
    mantissa = "".join(map(str, digits))
    power = len(mantissa) - 1 + exponent
    return f"{'-' if sign else ''}{mantissa[0]}.{mantissa[1:] or '0'}E{power}"


def _render(value: Any, node: _Node | None) -> str:  # noqa: PLR0911 - one return per Java type
    """Java's toString of the value as AWS's message shows it (see the module docstring)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _java_double(value)
    if node is not None and node.kind == "list" and isinstance(value, Sequence):
        return "[" + ", ".join(_render(v, node.member) for v in value) + "]"
    if node is not None and node.kind == "map" and isinstance(value, Mapping):
        return (
            "{"
            + ", ".join(f"{_render(k, node.key)}={_render(v, node.value)}" for k, v in value.items())
            + "}"
        )
    if node is not None and node.kind == "structure" and isinstance(value, Mapping):
        by_name = {name: (camel, child) for name, camel, child in node.members}
        parts = []
        for k, v in value.items():
            camel, child = by_name.get(k, (_camel(str(k)), None))
            parts.append(f"{camel}={_render(v, child)}")
        return "{" + ", ".join(parts) + "}"
    return str(value)


def _size(node: _Node, value: Any) -> tuple[float, str] | None:
    """What a scalar's min/max bound (length in code points or bytes, or value), or None if unchecked."""
    if node.kind == "string":
        return (len(value), "length") if isinstance(value, str) else None
    if node.kind in _NUMBERS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return value, "value"
    if node.kind == "blob":
        if isinstance(value, (bytes, bytearray)):
            return len(value), "length"
        if isinstance(value, str):
            return len(value.encode("utf-8")), "length"
    return None  # file-like bodies are not read


def _scalar_failures(node: _Node, value: Any) -> list[tuple[str, bool]]:
    """The constraints (AWS wording, refused-as-unmodelled) that a scalar value breaks."""
    measured = _size(node, value)
    if measured is None:
        return []
    size, unit = measured
    failed: list[tuple[str, bool]] = []
    if node.max is not None and size > node.max:
        failed.append((f"Member must have {unit} less than or equal to {_number(node.max)}", False))
    if node.min is not None and size < node.min:
        failed.append((f"Member must have {unit} greater than or equal to {_number(node.min)}", False))
    if (
        node.pattern is not None
        and isinstance(value, str)
        and not _regex_for(node.pattern, value).fullmatch(value)
    ):
        failed.append((f"Member must satisfy regular expression pattern: {node.pattern}", False))
    if node.enum and isinstance(value, str) and value not in node.enum:
        failed.append((f"Member must satisfy enum value set: [{', '.join(node.enum)}]", node.enum_refused))
    return failed


class _Check:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.unmodelled: list[str] = []  # violations whose answer is another one (enum_refusal)

    def report(
        self, node: _Node, value: Any, path: str, constraint: str, *, unmodelled: bool = False
    ) -> None:
        shown = "Value" if node.hides_value else f"Value '{_render(value, node)}'"
        line = f"{shown} at '{path}' failed to satisfy constraint: {constraint}"
        (self.unmodelled if unmodelled else self.errors).append(line)

    def check(self, node: _Node, value: Any, path: str) -> None:
        if node.kind in _SCALARS:
            for constraint, refused in _scalar_failures(node, value):
                self.report(node, value, path, constraint, unmodelled=refused)
        elif node.kind == "structure" and isinstance(value, Mapping):
            self._structure(node, value, path)
        elif node.kind == "list" and isinstance(value, (list, tuple)):
            self._list(node, value, path)
        elif node.kind == "map" and isinstance(value, Mapping):
            self._map(node, value, path)

    def _list(self, node: _Node, value: Sequence[Any], path: str) -> None:
        self._count(node, value, path)
        if node.member is None or not node.member.has_checks:
            return
        if node.member.kind in _SCALARS:
            self._scalars(node, value, path, items=value, child=node.member, label="Member")
        else:
            for index, item in enumerate(value, start=1):
                self.check(node.member, item, f"{path}.{index}.member")

    def _map(self, node: _Node, value: Mapping[Any, Any], path: str) -> None:
        self._count(node, value, path)
        if node.key is not None and node.key.has_checks:
            self._scalars(node, value, path, items=list(value), child=node.key, label="Map keys")
        if node.value is None or not node.value.has_checks:
            return
        if node.value.kind in _SCALARS:
            self._scalars(node, value, path, items=list(value.values()), child=node.value, label="Map value")
        else:  # not seen in an AWS message: reported at <map>.<key>...
            for k, v in value.items():
                self.check(node.value, v, f"{path}.{k}")

    def _structure(self, node: _Node, value: Mapping[str, Any], path: str) -> None:
        prefix = f"{path}." if path else ""
        for name, camel in node.required:
            if value.get(name) is None:
                where = prefix + camel
                self.errors.append(
                    f"Value null at '{where}' failed to satisfy constraint: Member must not be null"
                )
        for name, camel, child in node.members:
            if value.get(name) is not None:
                self.check(child, value[name], prefix + camel)

    def _scalars(
        self, node: _Node, value: Any, path: str, *, items: Sequence[Any], child: _Node, label: str
    ) -> None:
        """One error at the container for all its scalar members (keys, values) together."""
        failures = [_scalar_failures(child, item) for item in items]
        if any(failures):
            refused = all(r for f in failures for _, r in f)
            constraint = f"{label} must satisfy constraint: [{', '.join(child.constraints())}]"
            self.report(node, value, path, constraint, unmodelled=refused)

    def _count(self, node: _Node, value: Any, path: str) -> None:
        if node.max is not None and len(value) > node.max:
            self.report(
                node, value, path, f"Member must have length less than or equal to {_number(node.max)}"
            )
        if node.min is not None and len(value) < node.min:
            self.report(
                node, value, path, f"Member must have length greater than or equal to {_number(node.min)}"
            )


def _message(errors: Sequence[str]) -> str:
    n = len(errors)
    return f"{n} validation error{'' if n == 1 else 's'} detected: " + "; ".join(errors)


def check_request(
    service_model: ServiceModel,
    operation_name: str,
    params: Mapping[str, Any],
    *,
    client_validation: bool = True,
    error_class_for: Callable[[str], type[ClientError]] | None = None,
) -> None:
    """Raise as AWS would if `params` break the constraint traits of the operation's input shape.

    - Returns None when the request satisfies every `min`, `max`, `pattern` (and enforced `enum`)
      trait on its path, and every `required` member is there.
    - Raises `botocore.exceptions.ClientError` (or `error_class_for(code)`, e.g.
      `client.exceptions.from_code`, so that `except client.exceptions.ValidationException`
      catches it as it catches a real response) with `response["Error"]["Code"]` the service's
      code (`SERVICE_POLICIES`), the AWS message, and `ResponseMetadata.HTTPStatusCode` 400.
    - With `client_validation` (the default, as botocore clients are configured), a request that
      botocore's own ParamValidator rejects (missing required member, wrong type, below `min`)
      raises that `ParamValidationError` instead: a real client never sends it. Only looked at
      when a violation was found, so it costs nothing on the way through.
    - Raises `UntranslatablePattern` if a value must be matched against a pattern this module
      cannot translate, and `UnmodelledRejection` for a violation whose AWS answer is unknown.
    """
    root = _plan(service_model, operation_name)
    if root is None:
        return
    check = _Check()
    check.check(root, params, "")
    if not check.errors and not check.unmodelled:
        return
    if client_validation:
        shape = service_model.operation_model(operation_name).input_shape
        report = ParamValidator().validate(params, shape)
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())
    service = service_model.service_name
    policy = SERVICE_POLICIES.get(service)
    violations = check.errors + check.unmodelled
    if policy is None or policy.error_code is None:
        why = policy.source if policy else f"{service} is not in SERVICE_POLICIES"
        raise UnmodelledRejection(service, operation_name, violations, why)
    if check.unmodelled:
        raise UnmodelledRejection(
            service, operation_name, violations, f"{service} answers these enum values differently"
        )
    code = policy.error_code
    error: dict[str, str] = {"Code": code, "Message": _message(check.errors)}
    if policy.sender_fault:
        error["Type"] = "Sender"
    response: dict[str, Any] = {
        "Error": error,
        "ResponseMetadata": {
            "RequestId": str(uuid.uuid4()),
            "HTTPStatusCode": 400,
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        },
    }
    cls = error_class_for(code) if error_class_for is not None else ClientError
    raise cls(response, operation_name)


# --------------------------------------------------------------------------------------------
# Patterns of a model: listing and refusals
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternRefusal:
    operation: str
    path: str
    pattern: str
    reason: str


def _walk_patterns(shape: Shape, path: str, seen: set[str]) -> Iterator[tuple[str, str]]:
    if shape.name in seen:
        return
    pattern = shape.metadata.get("pattern")
    if pattern is not None:
        yield path, pattern
    seen = seen | {shape.name}
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            yield from _walk_patterns(member, f"{path}.{_camel(name)}" if path else _camel(name), seen)
    elif shape.type_name == "list":
        yield from _walk_patterns(shape.member, f"{path}.N.member", seen)
    elif shape.type_name == "map":
        yield from _walk_patterns(shape.key, f"{path}(key)", seen)
        yield from _walk_patterns(shape.value, f"{path}(value)", seen)


def input_patterns(service_model: ServiceModel, operation_name: str | None = None) -> dict[str, list[str]]:
    """Every pattern in the input shapes of one operation (or all), with the paths using it."""
    names = [operation_name] if operation_name else list(service_model.operation_names)
    found: dict[str, list[str]] = {}
    for op in names:
        shape = service_model.operation_model(op).input_shape
        if shape is None:
            continue
        for path, pattern in _walk_patterns(shape, "", set()):
            found.setdefault(pattern, []).append(f"{op}:{path}")
    return found


def untranslatable_patterns(
    service_model: ServiceModel, operation_name: str | None = None
) -> list[PatternRefusal]:
    """The input patterns of one operation (or all) that `translate_pattern` refuses."""
    refusals = []
    for pattern, paths in sorted(input_patterns(service_model, operation_name).items()):
        try:
            translate_pattern(pattern)
        except UntranslatablePattern as exc:
            op, _, path = paths[0].partition(":")
            refusals.append(PatternRefusal(op, path, pattern, exc.reason))
    return refusals


def main(argv: Sequence[str] | None = None) -> int:
    """python -m localcloud.request_validation SERVICE [OPERATION]: the patterns it cannot translate."""
    parser = argparse.ArgumentParser(
        prog="python -m localcloud.request_validation",
        description="List the input-shape patterns of a service (or one operation) that cannot be "
        "translated from Java to Python regex; exit 1 if there are any.",
    )
    parser.add_argument("service", help="botocore service name, e.g. sagemaker")
    parser.add_argument("operation", nargs="?", help="operation name, e.g. CreateModelPackage")
    args = parser.parse_args(argv)
    model = botocore.session.get_session().get_service_model(args.service)
    patterns = input_patterns(model, args.operation)
    refusals = untranslatable_patterns(model, args.operation)
    for r in refusals:
        print(f"{r.operation}\t{r.path}\t{r.pattern}\t{r.reason}")
    print(
        f"{len(patterns)} distinct input patterns in {args.service}"
        f"{'.' + args.operation if args.operation else ''}, {len(refusals)} untranslatable",
        file=sys.stderr,
    )
    return 1 if refusals else 0


if __name__ == "__main__":
    raise SystemExit(main())
