"""Card payment gateways: the interface, the built-in manual terminal, and an HTTP gateway behind a breaker.

Every external call has a timeout and goes through a circuit breaker (pybreaker): a gateway that
keeps failing is skipped at once for a cool-down, instead of holding each clerk's request (and the
invoice row it has locked) for the whole timeout. A call that fails, is refused or times out raises
before billing writes anything, so no payment is half-recorded.
"""
import json
import re
import urllib.error
import urllib.request
from typing import Protocol

import pybreaker
from flask import current_app
from loguru import logger

from app.core.errors import DomainError, RuleViolation

APPROVAL_CODE = re.compile(r"^[A-Za-z0-9-]{2,40}$")
DEFAULT_TIMEOUT = 10.0  # seconds; PAYMENT_GATEWAY_TIMEOUT overrides
_breakers: dict[str, pybreaker.CircuitBreaker] = {}


class GatewayError(DomainError):
    """The card gateway failed, timed out or is being skipped: 502, and nothing was recorded."""

    status_code = 502


class PaymentGateway(Protocol):
    """What billing needs from a card gateway."""

    name: str

    def charge(self, *, amount_cents: int, currency: str, reference: str, approval_code: str | None) -> str:
        """Take the money; return the gateway's reference for it (or raise)."""

    def refund(self, *, gateway_reference: str, amount_cents: int, currency: str) -> str:
        """Give money back on a charge; return the gateway's reference for the refund (or raise)."""


class ManualTerminal:
    """The resort's own card terminal: the clerk runs the card there and types the approval code it printed."""

    name = "MANUAL"

    def charge(self, *, amount_cents: int, currency: str, reference: str, approval_code: str | None) -> str:
        code = (approval_code or "").strip()
        if not APPROVAL_CODE.fullmatch(code):
            raise RuleViolation("Type the approval code the card terminal printed.",
                                errors={"approval_code": ["2 to 40 letters, digits or dashes, from the terminal."]})
        return code

    def refund(self, *, gateway_reference: str, amount_cents: int, currency: str) -> str:
        return ""  # refunded on the terminal itself; the refund row records who and why


def _breaker(url: str) -> pybreaker.CircuitBreaker:
    if url not in _breakers:
        config = current_app.config
        _breakers[url] = pybreaker.CircuitBreaker(
            fail_max=int(config.get("PAYMENT_GATEWAY_BREAKER_FAILURES", 3)),
            reset_timeout=float(config.get("PAYMENT_GATEWAY_BREAKER_COOLDOWN", 30)), name="payment-gateway",
            # A declined card is an answer, not a failure of the gateway.
            exclude=[lambda exc: isinstance(exc, RuleViolation)])
    return _breakers[url]


class HttpGateway:
    """A JSON-over-HTTP gateway: POST {url}/charges and {url}/refunds, answering {"approved": bool, "id": "..."}."""

    name = "HTTP"

    def __init__(self, url: str, *, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(f"{self.url}{path}", data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
            return json.loads(response.read() or b"{}")

    def _call(self, path: str, body: dict) -> dict:
        try:
            answer = _breaker(self.url).call(self._post, path, body)
        except pybreaker.CircuitBreakerError:
            raise GatewayError("The card gateway is failing and is being skipped for a while; "
                               "take the card on the terminal (manual) or try again shortly.") from None
        except TimeoutError:
            logger.warning("payment gateway timed out after {} s on {}", self.timeout, path)
            raise GatewayError(f"The card gateway did not answer within {self.timeout:g} seconds; "
                               "nothing was charged or recorded.") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None)
            if isinstance(reason, TimeoutError):
                raise GatewayError(f"The card gateway did not answer within {self.timeout:g} seconds; "
                                   "nothing was charged or recorded.") from None
            logger.warning("payment gateway failed on {}: {}", path, type(exc).__name__)
            raise GatewayError("The card gateway failed; nothing was recorded. Try again or use another method.") \
                from None
        if not answer.get("approved"):
            raise RuleViolation("The card was declined.", errors={"method": ["Declined by the card gateway."]})
        return answer

    def charge(self, *, amount_cents: int, currency: str, reference: str, approval_code: str | None) -> str:
        answer = self._call("/charges", {"amount_cents": amount_cents, "currency": currency, "reference": reference})
        return str(answer.get("id", ""))[:100]

    def refund(self, *, gateway_reference: str, amount_cents: int, currency: str) -> str:
        answer = self._call("/refunds", {"charge": gateway_reference, "amount_cents": amount_cents,
                                         "currency": currency})
        return str(answer.get("id", ""))[:100]


def gateway_for(kind: str) -> PaymentGateway:
    """The tenant's configured gateway (billing settings), with the app's URL and timeout for HTTP."""
    if kind == HttpGateway.name:
        url = current_app.config.get("PAYMENT_GATEWAY_URL")
        if not url:
            raise GatewayError("No card gateway is configured for this server; use the manual terminal.")
        timeout = float(current_app.config.get("PAYMENT_GATEWAY_TIMEOUT", DEFAULT_TIMEOUT))
        return HttpGateway(url, timeout=timeout)
    return ManualTerminal()
