"""The refusals of the promotions domain, each with a stable code (calculation.REASONS says why a
voucher does not apply; the same codes are the placement's refusals)."""

from core.errors import Conflict, DomainError, InvalidInput, NotFound
from core.errors import StaleVersion as StaleVersionBase
from promotions import calculation


class PromotionsError(DomainError):
    code = "promotions_error"


class VoucherNotFound(PromotionsError, NotFound):
    code = calculation.NOT_FOUND
    default_message = calculation.REASONS[calculation.NOT_FOUND]


class VoucherNotApplicable(PromotionsError, Conflict):
    """The cart's voucher does not apply; `code` is the reason (voucher_expired, voucher_used_up, ...)."""

    code = "voucher_not_applicable"

    @classmethod
    def because(cls, reason: str, code: str) -> "VoucherNotApplicable":
        why = calculation.REASONS.get(reason, "This voucher does not apply.")
        return cls(
            f"{why} Remove the code {code} to order without it.",
            code=reason,
            fields={"voucher": [calculation.REASONS.get(reason, reason)]},
        )


class InvalidPromotion(PromotionsError, InvalidInput):
    code = "invalid_promotion"


class PromotionNotFound(PromotionsError, NotFound):
    code = "promotion_not_found"


class StaleVersion(PromotionsError, StaleVersionBase):
    pass
