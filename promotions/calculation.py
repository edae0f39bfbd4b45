"""The discount calculation: which promotions apply to a basket and how much each takes off each
line. Pure: no queries and no clock (callers pass the running rules and the facts it needs), so
the cart, the checkout, placement and picking all compute the same figures.

Order and stacking (docs/decisions/0050):
- automatic promotions apply highest `priority` first (ties: the older one first), then the voucher;
  free delivery is decided last, on the basket as discounted;
- a stackable promotion takes its share of what earlier ones left of a line; one that is not
  stackable applies only to lines no earlier promotion touched, and nothing later touches them
  (a basket-wide one that is not stackable applies only to an undiscounted basket);
- thresholds (a basket promotion's, a voucher's minimum basket, free delivery's) compare the goods
  as discounted so far.

Rounding (to the cent, half up, `core.money.round_amount`):
- an item promotion's discount is computed and rounded per line;
- a basket-wide discount (an amount, or a percentage of the basket, rounded once) is split across
  its lines in proportion to what is left of each, by the largest-remainder method: the lines' cents
  add up exactly to the discount, and leftover cents go to the largest remainders (ties: the
  earlier line). No line is ever discounted below zero.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from core.money import ZERO, round_amount

HUNDRED = Decimal(100)

# Why a voucher does not apply (stable codes, also the placement's refusals).
NOT_FOUND = "voucher_not_found"
NOT_STARTED = "voucher_not_started"
EXPIRED = "voucher_expired"
USED_UP = "voucher_used_up"
CUSTOMER_LIMIT = "voucher_customer_limit_reached"
BELOW_MINIMUM = "voucher_below_minimum"
NOT_COMBINABLE = "voucher_not_combinable"
NO_ELIGIBLE_ITEMS = "voucher_no_eligible_items"
FIRST_ORDER_ONLY = "voucher_first_order_only"
WRONG_CURRENCY = "voucher_wrong_currency"
REASONS: dict[str, str] = {
    NOT_FOUND: "There is no such voucher code.",
    NOT_STARTED: "This voucher is not valid yet.",
    EXPIRED: "This voucher has expired.",
    USED_UP: "This voucher has been used up.",
    CUSTOMER_LIMIT: "You have used this voucher as often as it allows.",
    BELOW_MINIMUM: "The basket is below this voucher's minimum.",
    NOT_COMBINABLE: "This voucher cannot be combined with the promotions already in your basket.",
    NO_ELIGIBLE_ITEMS: "None of the items in your basket is part of this voucher's offer.",
    FIRST_ORDER_ONLY: "This voucher is for a first order only.",
    WRONG_CURRENCY: "This voucher is in another currency.",
}

ITEM_PERCENT, ITEM_FIXED, MULTI_BUY = "item_percent", "item_fixed", "multi_buy"
BASKET_FIXED, BASKET_PERCENT, FREE_DELIVERY, FIRST_ORDER = (
    "basket_fixed",
    "basket_percent",
    "free_delivery",
    "first_order",
)
ITEM_KINDS = frozenset({ITEM_PERCENT, ITEM_FIXED, MULTI_BUY})
KINDS = (ITEM_PERCENT, ITEM_FIXED, MULTI_BUY, BASKET_FIXED, BASKET_PERCENT, FREE_DELIVERY, FIRST_ORDER)


@dataclass(frozen=True)
class Item:
    """One basket line as the calculation sees it."""

    key: str
    variant_id: int
    product_id: int
    category_path: str  # the product's category path, "/3/17/"
    unit_price: Decimal
    quantity: Decimal
    amount: Decimal  # the line's total before discounts
    # What multi-buy groups count (picking: the ordered weight while the pick is within the margin).
    group_quantity: Decimal | None = None


@dataclass(frozen=True)
class Rule:
    """A promotion as the calculation needs it (built by promotions.selectors)."""

    id: int
    name: str
    kind: str
    priority: int = 0
    stackable: bool = True
    percent: Decimal | None = None
    amount: Decimal | None = None
    threshold: Decimal = ZERO
    group_size: int | None = None
    variant_ids: frozenset[int] = frozenset()
    product_ids: frozenset[int] = frozenset()
    category_paths: tuple[str, ...] = ()
    combinable: bool = True
    code: str = ""  # set on a voucher's rule

    @property
    def targeted(self) -> bool:
        return bool(self.variant_ids or self.product_ids or self.category_paths)

    def matches(self, item: Item) -> bool:
        if not self.targeted:
            return self.kind not in ITEM_KINDS  # an item promotion without targets applies to nothing
        return (
            item.variant_id in self.variant_ids
            or item.product_id in self.product_ids
            or any(item.category_path.startswith(path) for path in self.category_paths)
        )


@dataclass
class Applied:
    """One discount line: a promotion and what it took off, per basket line and off delivery."""

    rule: Rule
    per_line: dict[str, Decimal] = field(default_factory=dict)
    delivery: bool = False

    @property
    def amount(self) -> Decimal:
        return sum(self.per_line.values(), ZERO)


@dataclass
class VoucherState:
    code: str
    rule: Rule | None
    reason: str = ""  # empty: it applies
    code_id: int | None = None

    @property
    def applied(self) -> bool:
        return not self.reason

    @property
    def message(self) -> str:
        return REASONS.get(self.reason, "")


@dataclass
class Discounts:
    applied: list[Applied] = field(default_factory=list)
    per_line: dict[str, Decimal] = field(default_factory=dict)
    voucher: VoucherState | None = None

    @property
    def items_total(self) -> Decimal:
        return sum(self.per_line.values(), ZERO)

    @property
    def free_delivery(self) -> bool:
        return any(applied.delivery for applied in self.applied)

    def delivery_discount(self, fee: Decimal) -> Decimal:
        """What free delivery takes off the zone's fee (all of it, or nothing)."""
        return fee if self.free_delivery else ZERO


def split(total: Decimal, weights: dict[str, Decimal]) -> dict[str, Decimal]:
    """`total` in cents across the keys in proportion to their weights, by largest remainder
    (ties: the earlier key); never more than a key's weight when total <= sum of weights."""
    cents, positive = int(total * 100), {key: int(weight * 100) for key, weight in weights.items() if weight > 0}
    whole = sum(positive.values())
    if cents <= 0 or whole <= 0:
        return {}
    shares = {key: cents * weight // whole for key, weight in positive.items()}
    remainders = sorted(positive, key=lambda key: (-(cents * positive[key] % whole), list(positive).index(key)))
    for key in remainders[: cents - sum(shares.values())]:
        shares[key] += 1
    return {key: Decimal(share) / 100 for key, share in shares.items() if share}


def free_units(quantity: Decimal, group_size: int) -> Decimal:
    """Multi-buy: one discounted unit per whole group (weighed items count whole kg or l)."""
    return (quantity / group_size).to_integral_value(rounding=ROUND_FLOOR)


def grouping_quantity(ordered: Decimal, picked: Decimal, *, weighed: bool, margin: Decimal) -> Decimal:
    """What multi-buy counts after picking: pieces as picked; a weighed line picked lighter but
    within the weighing margin keeps the ordered weight's groups (the scale, not the customer, fell short)."""
    if weighed and ordered * (1 - margin) <= picked < ordered:
        return ordered
    return picked


class _Basket:
    def __init__(self, items: Iterable[Item]) -> None:
        self.items = list(items)
        self.left = {item.key: item.amount for item in self.items}
        self.touched: set[str] = set()
        self.locked: set[str] = set()

    @property
    def goods(self) -> Decimal:
        return sum(self.left.values(), ZERO)

    def take(self, rule: Rule, amounts: dict[str, Decimal]) -> Applied | None:
        amounts = {key: min(value, self.left[key]) for key, value in amounts.items() if value > 0}
        amounts = {key: value for key, value in amounts.items() if value > 0}
        if not amounts:
            return None
        for key, value in amounts.items():
            self.left[key] -= value
            self.touched.add(key)
            if not rule.stackable:
                self.locked.add(key)
        return Applied(rule, amounts)


def _item_amounts(rule: Rule, item: Item, left: Decimal) -> Decimal:
    if rule.kind == ITEM_PERCENT and rule.percent is not None:
        return round_amount(left * rule.percent / HUNDRED)
    if rule.kind == ITEM_FIXED and rule.amount is not None:
        return round_amount(rule.amount * item.quantity)
    if rule.kind == MULTI_BUY and rule.percent is not None and rule.group_size:
        counted = item.group_quantity if item.group_quantity is not None else item.quantity
        return round_amount(free_units(counted, rule.group_size) * item.unit_price * rule.percent / HUNDRED)
    return ZERO


def _apply(rule: Rule, basket: _Basket, *, check_thresholds: bool) -> Applied | None:
    if check_thresholds and basket.goods < rule.threshold:
        return None
    open_items = [item for item in basket.items if item.key not in basket.locked and rule.matches(item)]
    if not rule.stackable:
        if rule.kind not in ITEM_KINDS and basket.touched:
            return None  # a basket-wide exclusive offer only on an undiscounted basket
        open_items = [item for item in open_items if item.key not in basket.touched]
    if rule.kind in ITEM_KINDS:
        return basket.take(rule, {item.key: _item_amounts(rule, item, basket.left[item.key]) for item in open_items})
    weights = {item.key: basket.left[item.key] for item in open_items}
    base = sum(weights.values(), ZERO)
    if rule.amount is not None:
        total = min(rule.amount, base)
    elif rule.percent is not None:
        total = round_amount(base * rule.percent / HUNDRED)
    else:
        return None
    return basket.take(rule, split(total, weights))


def calculate(
    items: Iterable[Item],
    rules: Iterable[Rule],
    *,
    voucher: VoucherState | None = None,
    first_order: Callable[[], bool] = lambda: False,
    check_thresholds: bool = True,
) -> Discounts:
    """The discounts of the basket. `rules`: the running automatic promotions; `voucher`: the code
    the customer entered, with its rule and any reason found before (limits, period), which this
    completes with the reasons only the basket can give. `first_order` is asked only when a
    first-order promotion is in play. `check_thresholds=False` recomputes a placed order's
    discounts (picking): the promotions it got stay, on what was picked."""
    basket = _Basket(items)
    discounts = Discounts(voucher=voucher)
    deliveries: list[Rule] = []

    def run(rule: Rule) -> Applied | None:
        if rule.kind == FREE_DELIVERY:
            deliveries.append(rule)
            return None
        if rule.kind == FIRST_ORDER and check_thresholds and not first_order():
            return None
        applied = _apply(rule, basket, check_thresholds=check_thresholds)
        if applied is not None:
            discounts.applied.append(applied)
        return applied

    for rule in sorted(rules, key=lambda rule: (-rule.priority, rule.id)):
        run(rule)
    if voucher is not None and voucher.rule is not None and voucher.applied:
        rule = voucher.rule
        if check_thresholds and not rule.combinable and discounts.applied:
            voucher.reason = NOT_COMBINABLE
        elif check_thresholds and basket.goods < rule.threshold:
            voucher.reason = BELOW_MINIMUM
        elif check_thresholds and rule.kind == FIRST_ORDER and not first_order():
            voucher.reason = FIRST_ORDER_ONLY
        elif run(rule) is None and rule.kind != FREE_DELIVERY:
            voucher.reason = NO_ELIGIBLE_ITEMS
    goods = basket.goods
    for rule in deliveries:
        if not check_thresholds or goods >= rule.threshold:
            discounts.applied.append(Applied(rule, {}, delivery=True))
            break  # free is free: one free-delivery line
    for applied in discounts.applied:
        for key, value in applied.per_line.items():
            discounts.per_line[key] = discounts.per_line.get(key, ZERO) + value
    return discounts
