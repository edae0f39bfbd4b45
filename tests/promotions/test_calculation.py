"""The discount calculation with exact figures: priority and stacking, multi-buy on pieces and on
weighed items, thresholds, the voucher's reasons and the rounding of discounts across lines.
Pure (no database): the same function prices the cart, the checkout, placement and picking."""

from decimal import Decimal as D

from promotions import calculation as calc
from promotions.calculation import Item, Rule, VoucherState

MILK = Item("milk", 1, 10, "/1/2/", D("1.20"), D("5"), D("6.00"))
BREAD = Item("bread", 2, 20, "/1/3/", D("2.50"), D("2"), D("5.00"))
CHEESE = Item("cheese", 3, 30, "/4/", D("7.99"), D("1"), D("7.99"))


def rule(id: int, kind: str, **values: object) -> Rule:
    return Rule(id=id, name=f"promotion {id}", kind=kind, **values)  # type: ignore[arg-type]


def test_priority_decides_the_order_and_an_unstackable_promotion_keeps_its_lines_to_itself() -> None:
    rules = [
        rule(1, calc.ITEM_PERCENT, priority=10, percent=D("10"), category_paths=("/1/",)),  # dairy and bakery
        rule(2, calc.ITEM_FIXED, priority=5, stackable=False, amount=D("0.50"), variant_ids=frozenset({2})),
        rule(3, calc.ITEM_PERCENT, priority=1, stackable=False, percent=D("20"), product_ids=frozenset({30})),
        rule(4, calc.BASKET_FIXED, amount=D("2.00"), threshold=D("15.00")),
    ]
    discounts = calc.calculate([MILK, BREAD, CHEESE], rules)
    # 1: 10 % of 6.00 and 5.00. 2: bread was discounted already, so the unstackable 2 stays out.
    # 3: 20 % of 7.99 = 1.598 -> 1.60, and cheese is its alone. 4: the basket is 16.29 after those
    # (>= 15.00); 2.00 over milk 5.40 and bread 4.50 by largest remainder: 1.0909 -> 1.09, 0.9090 -> 0.91.
    assert [(a.rule.id, a.per_line) for a in discounts.applied] == [
        (1, {"milk": D("0.60"), "bread": D("0.50")}),
        (3, {"cheese": D("1.60")}),
        (4, {"milk": D("1.09"), "bread": D("0.91")}),
    ]
    assert discounts.per_line == {"milk": D("1.69"), "bread": D("1.41"), "cheese": D("1.60")}
    assert discounts.items_total == D("4.70")

    # The same promotions with the bread's fixed amount first: it takes the bread (2 x 0.50) and
    # the 10 % only the milk; the basket is then 5.40 + 4.00 + 6.39 = 15.79.
    rules[1] = rule(2, calc.ITEM_FIXED, priority=50, stackable=False, amount=D("0.50"), variant_ids=frozenset({2}))
    discounts = calc.calculate([MILK, BREAD, CHEESE], rules)
    assert discounts.per_line == {"bread": D("1.00"), "milk": D("2.60"), "cheese": D("1.60")}


def test_an_unstackable_basket_promotion_applies_only_to_an_undiscounted_basket() -> None:
    exclusive = rule(9, calc.BASKET_PERCENT, percent=D("15"), stackable=False)
    assert calc.calculate([MILK, BREAD], [exclusive]).items_total == D("1.65")  # 15 % of 11.00
    first = rule(1, calc.ITEM_PERCENT, priority=1, percent=D("10"), variant_ids=frozenset({1}))
    discounts = calc.calculate([MILK, BREAD], [first, exclusive])
    assert [a.rule.id for a in discounts.applied] == [1] and discounts.items_total == D("0.60")


def test_multi_buy_on_pieces_and_on_weighed_items() -> None:
    three_for_two = rule(1, calc.MULTI_BUY, percent=D("100"), group_size=3, variant_ids=frozenset({1}))
    second_half_price = rule(2, calc.MULTI_BUY, percent=D("50"), group_size=2, variant_ids=frozenset({5}))
    milk = Item("milk", 1, 10, "/1/", D("1.20"), D("7"), D("8.40"))
    apples = Item("apples", 5, 50, "/2/", D("3.00"), D("2.5"), D("7.50"))  # per kg
    few_apples = Item("apples", 5, 50, "/2/", D("3.00"), D("1.9"), D("5.70"))
    # 7 pieces: two groups of 3, two pieces free (2.40); 2.5 kg: one whole group of 2 kg, one kg at half price.
    assert calc.calculate([milk, apples], [three_for_two, second_half_price]).per_line == {
        "milk": D("2.40"),
        "apples": D("1.50"),
    }
    assert calc.calculate([few_apples], [second_half_price]).per_line == {}

    # After picking: a weighed line picked lighter within the 10 % margin keeps its groups; a
    # lighter one beyond it and a short piece line count what was picked.
    margin = D("0.10")
    assert calc.grouping_quantity(D("2.0"), D("1.874"), weighed=True, margin=margin) == D("2.0")
    assert calc.grouping_quantity(D("2.0"), D("1.7"), weighed=True, margin=margin) == D("1.7")
    assert calc.grouping_quantity(D("3"), D("2"), weighed=False, margin=D("0")) == D("2")
    picked = Item("apples", 5, 50, "/2/", D("3.00"), D("1.874"), D("5.62"), group_quantity=D("2.0"))
    assert calc.calculate([picked], [second_half_price], check_thresholds=False).per_line == {"apples": D("1.50")}


def test_rounding_per_line_for_item_percentages_and_by_largest_remainder_for_the_basket() -> None:
    lines = [Item(f"l{n}", n, n, "/1/", D(price), D("1"), D(price)) for n, price in enumerate(["3.33", "3.33", "3.34"])]
    # 10 % per line: 0.333, 0.333, 0.334 each round to 0.33.
    per_line = calc.calculate(lines, [rule(1, calc.ITEM_PERCENT, percent=D("10"), category_paths=("/1/",))])
    assert list(per_line.per_line.values()) == [D("0.33")] * 3 and per_line.items_total == D("0.99")
    # 10 % of the basket: 1.00, split 33.3 / 33.3 / 33.4 cents; the leftover cent goes to the largest remainder.
    basket = calc.calculate(lines, [rule(2, calc.BASKET_PERCENT, percent=D("10"))])
    assert list(basket.per_line.values()) == [D("0.33"), D("0.33"), D("0.34")] and basket.items_total == D("1.00")
    # Many small lines: the split always adds up to the discount, ties going to the earlier lines.
    many = [Item(f"m{n}", n, n, "/1/", D("0.99"), D("1"), D("0.99")) for n in range(7)]
    split = calc.calculate(many, [rule(3, calc.BASKET_FIXED, amount=D("1.00"))]).per_line
    assert list(split.values()) == [D("0.15")] * 2 + [D("0.14")] * 5 and sum(split.values()) == D("1.00")
    # Never below zero: 50.00 off an 11.00 basket takes 11.00.
    assert calc.calculate([MILK, BREAD], [rule(4, calc.BASKET_FIXED, amount=D("50.00"))]).items_total == D("11.00")


def test_why_a_voucher_does_not_apply() -> None:
    ten_off = rule(7, calc.BASKET_FIXED, amount=D("10.00"), threshold=D("20.00"), code="TEN")
    automatic = rule(1, calc.ITEM_PERCENT, percent=D("10"), variant_ids=frozenset({3}))

    def state(voucher_rule: Rule, *items: Item, rules: tuple[Rule, ...] = ()) -> VoucherState:
        voucher = VoucherState(voucher_rule.code, voucher_rule)
        calc.calculate(items, rules, voucher=voucher)
        return voucher

    assert state(ten_off, MILK, BREAD).reason == calc.BELOW_MINIMUM  # 11.00 < 20.00
    applied = VoucherState("TEN", ten_off)
    discounts = calc.calculate(
        [MILK, BREAD, CHEESE, Item("brie", 4, 40, "/4/", D("7.99"), D("1"), D("7.99"))], [], voucher=applied
    )
    assert applied.applied and discounts.items_total == D("10.00")
    lonely = rule(8, calc.BASKET_PERCENT, percent=D("5"), combinable=False, code="SOLO")
    assert state(lonely, MILK, CHEESE, rules=(automatic,)).reason == calc.NOT_COMBINABLE
    assert state(lonely, MILK, CHEESE).applied
    cheese_only = rule(9, calc.ITEM_PERCENT, percent=D("25"), variant_ids=frozenset({3}), code="CHEESE")
    assert state(cheese_only, MILK, BREAD).reason == calc.NO_ELIGIBLE_ITEMS
    welcome = rule(10, calc.FIRST_ORDER, amount=D("5.00"), code="WELCOME")
    assert state(welcome, MILK, BREAD).reason == calc.FIRST_ORDER_ONLY
    assert calc.REASONS[calc.NOT_COMBINABLE].startswith("This voucher cannot be combined")


def test_free_delivery_over_a_threshold_looks_at_the_discounted_basket() -> None:
    free = rule(1, calc.FREE_DELIVERY, threshold=D("10.00"))
    assert calc.calculate([MILK, BREAD], [free]).delivery_discount(D("3.90")) == D("3.90")  # 11.00
    tenth_off = rule(2, calc.ITEM_PERCENT, percent=D("10"), category_paths=("/1/",))
    assert calc.calculate([MILK, BREAD], [free, tenth_off]).delivery_discount(D("3.90")) == D("0")  # 9.90
