"""Tests for heatcases.privacy: what is masked, how, and what is left alone."""

from __future__ import annotations

import dataclasses
import random

import pytest

from heatcases.privacy import PII_KINDS, MaskResult, mask_fields, mask_personal_data

# -- helpers: build valid (and deliberately invalid) numbers ------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_number(region: str = "110105", birth: str = "19491231", seq: str = "002") -> str:
    """An 18-digit resident ID with its ISO 7064 MOD 11-2 check character."""
    body = region + birth + seq
    assert len(body) == 17
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def with_wrong_check(number: str) -> str:
    """The same number with any other check character (so the checksum fails)."""
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


def luhn_ok(number: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(number)):
        digit = int(char) * (2 if i % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def luhn_number(prefix: str, length: int, seed: int = 0) -> str:
    """A Luhn-valid number of ``length`` digits starting with ``prefix``."""
    rng = random.Random(f"{prefix}-{length}-{seed}")
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        if luhn_ok(body + check):
            return body + check
    raise AssertionError("unreachable")


def luhn_invalid(prefix: str, length: int, seed: int = 0) -> str:
    number = luhn_number(prefix, length, seed)
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def grouped(number: str, sep: str = " ", size: int = 4) -> str:
    return sep.join(number[i : i + size] for i in range(0, len(number), size))


def phone_mask(number: str) -> str:
    return number[:3] + "****" + number[-4:]


def id_mask(number: str) -> str:
    return number[:3] + "*" * 13 + number[-2:].upper()


def card_mask(number: str) -> str:
    return "*" * (len(number) - 4) + number[-4:]


def check(text: str, expected_text: str, expected_kinds: tuple[str, ...]) -> MaskResult:
    result = mask_personal_data(text)
    assert result.text == expected_text
    assert result.kinds == expected_kinds
    return result


def unchanged(text: str) -> None:
    check(text, text, ())


# -- the helpers themselves ---------------------------------------------------------


def test_helpers_build_known_valid_numbers():
    assert id_number() == "11010519491231002X"  # the example of GB 11643
    assert luhn_ok("4111111111111111")
    assert all(luhn_ok(luhn_number(p, n)) for p in ("4", "51", "62", "3528") for n in (16, 19))
    assert not luhn_ok(luhn_invalid("62", 16))


def test_public_interface():
    assert PII_KINDS == ("phone", "id_card", "bank_card", "email", "passport")
    result = mask_personal_data("无个人信息")
    assert isinstance(result, MaskResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.text = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        mask_personal_data(None)  # type: ignore[arg-type]


# -- phone ------------------------------------------------------------------------


class TestPhone:
    def test_sentence(self):
        check("客人手机13812345678，想改签到明天", "客人手机138****5678，想改签到明天", ("phone",))

    @pytest.mark.parametrize("second", "3456789")
    def test_every_mobile_prefix(self, second):
        number = f"1{second}912345678"
        check(f"回拨电话{number}。", f"回拨电话{phone_mask(number)}。", ("phone",))

    @pytest.mark.parametrize("number", ["10912345678", "11912345678", "12912345678", "23812345678"])
    def test_not_a_mobile_prefix(self, number):
        unchanged(f"号码{number}")

    @pytest.mark.parametrize(
        "written",
        [
            "138 1234 5678",
            "138-1234-5678",
            "+8613812345678",
            "+86 13812345678",
            "+86 138 1234 5678",
            "+86-138-1234-5678",
            "008613812345678",
            "0086 138 1234 5678",
            "8613812345678",
        ],
    )
    def test_grouping_and_country_prefix_are_dropped(self, written):
        check(f"客人留的电话是{written}，白天联系", "客人留的电话是138****5678，白天联系", ("phone",))

    def test_english_sentence(self):
        check(
            "Please call her back at 15912345678 before 6pm.",
            "Please call her back at 159****5678 before 6pm.",
            ("phone",),
        )

    def test_several_phones(self):
        check(
            "主叫13812345678,备用15987654321、紧急联系人 18611112222",
            "主叫138****5678,备用159****4321、紧急联系人 186****2222",
            ("phone",),
        )

    @pytest.mark.parametrize(
        "text",
        [
            "订单号2024138123456789",  # inside a longer digit run
            "913812345678",  # 12 digits
            "138123456789",  # 12 digits
            "ID13812345678",  # glued to letters
            "13812345678abc",
            "金额13812345678.50元",  # a decimal amount
            "138 1234 5678 9012",  # a slice of a longer grouped number
            "x13812345678",
        ],
    )
    def test_not_masked_when_glued_or_embedded(self, text):
        unchanged(text)

    def test_bare_86_with_space_is_kept(self):
        # "86 …" may be a count ("86 人") – only +86 / 0086 may be followed by a space.
        check("共86 13812345678", "共86 138****5678", ("phone",))

    def test_prefix_glued_to_letters_is_kept(self):
        check("x+86 13812345678", "x+86 138****5678", ("phone",))

    def test_single_digit_after_a_grouped_phone(self):
        check("电话 138 1234 5678 2位大人", "电话 138****5678 2位大人", ("phone",))

    def test_masked_even_after_order_words(self):
        # A mobile number is personal data whatever introduces it.
        check("单号13812345678", "单号138****5678", ("phone",))

    def test_markdown_emphasis(self):
        check("**13812345678**", "**138****5678**", ("phone",))


# -- ID card --------------------------------------------------------------------------


class TestIdCard:
    def test_sentence(self):
        check("顾客的身份证号是11010519491231002X", "顾客的身份证号是110*************2X", ("id_card",))

    @pytest.mark.parametrize(
        "region, birth, seq",
        [
            ("110105", "19491231", "002"),
            ("310115", "19850615", "123"),
            ("440301", "20000229", "456"),  # leap day
            ("510104", "19700101", "007"),
            ("650102", "20121130", "999"),
            ("820000", "19991220", "321"),  # Macao
            ("120101", "19001231", "010"),
        ],
    )
    def test_generated_ids(self, region, birth, seq):
        number = id_number(region, birth, seq)
        masked = id_mask(number)
        assert len(masked) == 18 and masked.count("*") == 13
        check(f"核对身份证{number}后办理", f"核对身份证{masked}后办理", ("id_card",))

    def test_every_check_character(self):
        seen = set()
        for seq in range(200):
            number = id_number("330106", "19880808", f"{seq:03d}")
            seen.add(number[-1])
            check(f"证件号码：{number}", f"证件号码：{id_mask(number)}", ("id_card",))
        assert seen == set(ID_CHECK)

    def test_lower_case_x_is_written_upper_case(self):
        number = id_number()  # ends with X
        check(f"身份证{number.lower()}", f"身份证{id_mask(number)}", ("id_card",))

    @pytest.mark.parametrize("sep", [" ", "-"])
    def test_grouped_6_8_4(self, sep):
        number = id_number()
        written = f"{number[:6]}{sep}{number[6:14]}{sep}{number[14:]}"
        check(f"身份证：{written}。", f"身份证：{id_mask(number)}。", ("id_card",))

    def test_failed_checksum_is_not_an_id_card(self):
        unchanged(f"身份证{with_wrong_check(id_number())}")
        unchanged(f"订单号{with_wrong_check(id_number('110105', '19900101', '123'))}")

    @pytest.mark.parametrize(
        "region, birth",
        [
            ("110105", "19491331"),  # month 13
            ("110105", "19490230"),  # 30 February
            ("110105", "19000229"),  # 1900 was no leap year
            ("110105", "18991231"),  # before 1900
            ("000000", "19491231"),  # no such region
        ],
    )
    def test_valid_checksum_but_implausible(self, region, birth):
        unchanged(f"编号{id_number(region, birth, '002')}")

    def test_id_card_wins_over_bank_card(self):
        # An ID starting with 4 that is also Luhn-valid counts as an ID card.
        number = next(
            n for n in (id_number("440301", "19900307", f"{s:03d}") for s in range(1000)) if n.isdigit() and luhn_ok(n)
        )
        check(f"客人身份证{number}", f"客人身份证{id_mask(number)}", ("id_card",))

    @pytest.mark.parametrize("text", ["ABC11010519491231002X", "11010519491231002XY", "911010519491231002X"])
    def test_glued_to_letters_or_digits(self, text):
        unchanged(text)


# -- bank card --------------------------------------------------------------------------


CARDS_WITH_COMMON_BIN = [
    luhn_number("622202", 19),  # UnionPay debit, 19 digits
    luhn_number("622848", 19),
    luhn_number("6212", 16),
    luhn_number("4", 16),  # Visa
    luhn_number("51", 16),  # Mastercard
    luhn_number("3528", 16),  # JCB
    luhn_number("62", 17),
    luhn_number("62", 18),
]


class TestBankCard:
    @pytest.mark.parametrize("number", CARDS_WITH_COMMON_BIN)
    def test_common_bin_without_context(self, number):
        check(f"客人说退款退到{number}就行", f"客人说退款退到{card_mask(number)}就行", ("bank_card",))

    @pytest.mark.parametrize(
        "word", ["卡号", "银行卡", "信用卡", "储蓄卡", "借记卡", "銀行卡", "信用卡號", "card", "Card number:"]
    )
    def test_card_words_mask_even_unusual_bins(self, word):
        number = luhn_number("9", 16)
        check(f"{word} {number}", f"{word} {card_mask(number)}", ("bank_card",))

    def test_unusual_bin_without_context_is_kept(self):
        unchanged(f"参考号码 {luhn_number('9', 16)}")
        unchanged(luhn_number("2", 18))

    @pytest.mark.parametrize(
        "word",
        [
            "订单",
            "订单号",
            "单号",
            "订单编号",
            "预订号",
            "确认号",
            "票号",
            "电子客票",
            "运单",
            "流水号",
            "编号",
            "訂單號",
            "order",
            "Order No.",
            "booking",
            "confirmation number:",
            "ticket",
            "PNR",
            "tracking #",
        ],
    )
    def test_order_words_keep_luhn_valid_numbers(self, word):
        number = luhn_number("6222", 16, seed=7)
        unchanged(f"{word}{number}")
        unchanged(f"{word}：{number}，请查收")

    @pytest.mark.parametrize("sep", [" ", "-"])
    def test_grouped_in_fours(self, sep):
        for number in (luhn_number("6222", 16), luhn_number("622848", 19)):
            check(f"银行卡号{grouped(number, sep)}。", f"银行卡号{card_mask(number)}。", ("bank_card",))

    def test_luhn_invalid_is_kept_even_with_card_words(self):
        unchanged(f"卡号{luhn_invalid('6222', 16)}")
        unchanged(luhn_invalid("4", 16))

    def test_amex_only_with_card_words(self):
        amex = luhn_number("37", 15)
        check(f"信用卡{amex}", f"信用卡{card_mask(amex)}", ("bank_card",))
        written = f"{amex[:4]} {amex[4:10]} {amex[10:]}"
        check(f"Amex card {written}", f"Amex card {card_mask(amex)}", ("bank_card",))
        unchanged(f"退款至{amex}")
        unchanged(f"卡号{luhn_number('62', 15)}")  # 15 digits are only Amex

    def test_nearest_word_decides(self):
        order, card = luhn_number("6222", 16, seed=1), luhn_number("6222", 16, seed=2)
        check(f"订单号{order}，银行卡{card}", f"订单号{order}，银行卡{card_mask(card)}", ("bank_card",))
        check(f"用信用卡支付的订单，订单号{order}", f"用信用卡支付的订单，订单号{order}", ())
        check(f"订单已退款到卡{card}", f"订单已退款到卡{card_mask(card)}", ("bank_card",))

    def test_order_word_in_an_earlier_sentence_does_not_count(self):
        number = luhn_number("6222", 16, seed=3)
        check(f"订单已取消。退款到{number}", f"订单已取消。退款到{card_mask(number)}", ("bank_card",))

    def test_longer_runs_are_not_cards(self):
        unchanged(luhn_number("6222", 20))
        unchanged(f"{grouped(luhn_number('6222', 16))} 1234")


# -- e-mail -------------------------------------------------------------------------------


class TestEmail:
    def test_sentence(self):
        check("客人邮箱zhangsan@example.com，请回复确认单", "客人邮箱z***@example.com，请回复确认单", ("email",))

    @pytest.mark.parametrize(
        "address, masked",
        [
            ("li.si+travel@mail.example.com.cn", "l***@mail.example.com.cn"),
            ("wang_wu@163.com", "w***@163.com"),
            ("UPPER.CASE@EXAMPLE.ORG", "U***@EXAMPLE.ORG"),
            ("a@b.cn", "a***@b.cn"),
            ("13812345678@qq.com", "1***@qq.com"),  # the phone number inside goes too
            ("_x-y%z@sub-domain.example.co.uk", "_***@sub-domain.example.co.uk"),
        ],
    )
    def test_addresses(self, address, masked):
        check(f"请发到 {address} 谢谢", f"请发到 {masked} 谢谢", ("email",))

    def test_leading_dots_are_not_part_of_the_address(self):
        check("邮箱是...zhang@example.com", "邮箱是...z***@example.com", ("email",))

    def test_end_of_english_sentence(self):
        check("Send the voucher to jane.doe@example.com.", "Send the voucher to j***@example.com.", ("email",))

    @pytest.mark.parametrize(
        "text",
        [
            "请@客服 跟进",
            "微信@某某",
            "联系@张经理",
            "zhang@localhost",
            "邮箱是 zhang@163",
            "@example.com",
            "价格@100元",
        ],
    )
    def test_not_addresses(self, text):
        unchanged(text)


# -- passport ------------------------------------------------------------------------------


class TestPassport:
    @pytest.mark.parametrize(
        "number, masked",
        [
            ("E12345678", "E******78"),
            ("EA1234567", "E******67"),
            ("EH7654321", "E******21"),
            ("G12345678", "G******78"),
            ("P1234567", "P*****67"),
            ("S1234567", "S*****67"),
            ("D1234567", "D*****67"),
            ("SE1234567", "S******67"),
            ("DE1234567", "D******67"),
            ("PE1234567", "P******67"),
            ("e12345678", "e******78"),
            ("g87654321", "g******21"),
        ],
    )
    def test_chinese_formats(self, number, masked):
        check(f"客人持{number}出境", f"客人持{masked}出境", ("passport",))

    def test_sentence(self):
        check("护照号码：E12345678，下周出发", "护照号码：E******78，下周出发", ("passport",))

    @pytest.mark.parametrize(
        "text, masked",
        [
            ("护照号 AB1234567", "护照号 A******67"),
            ("護照號碼：K12345678", "護照號碼：K******78"),
            ("护照是123456789", "护照是1******89"),
            ("passport no. 123456789", "passport no. 1******89"),
            ("Passport Number: X1234567", "Passport Number: X*****67"),
            ("PASSPORT #C12345", "PASSPORT #C***45"),
            ("护照号码\u3000K12345678", "护照号码\u3000K******78"),
        ],
    )
    def test_other_passports_after_the_word(self, text, masked):
        check(text, masked, ("passport",))

    @pytest.mark.parametrize(
        "text",
        [
            "航班CA1234",
            "MU5101",
            "3U8888",
            "CZ3101",
            "HO1252",  # flights
            "G1234次",
            "D301",
            "K1234",
            "G12345",  # trains
            "护照和航班CA1234都已核对",  # flight after the word: fewer than 5 digits
            "护照号ABCD1234",  # 4 digits only
            "护照有效期至20300501",  # the date is not introduced as the number
            "型号XE12345678Z",
            "ABE12345678",
            "HX-E12345678",
            "https://example.com/E12345678",
            "E1234567",  # E needs 8 digits
            "EI1234567",  # no I or O as the second letter
            "订单号E12345678",  # introduced as an order number
        ],
    )
    def test_not_passports(self, text):
        unchanged(text)


# -- what must not be masked -------------------------------------------------------------


class TestNotMasked:
    @pytest.mark.parametrize(
        "text",
        [
            "订单号1234567890123456",
            f"订单号{with_wrong_check(id_number('440301', '19900307', '123'))}",  # 18 digits, bad checksum
            "订单编号2024050112345678901",  # 19 digits
            "202405011234567890",  # 18 digits, no such region
            "航班CA1234、MU5101、3U8888 均准点",
            "乘坐G1234次列车，转D301",
            "出发日期2024-05-01，返回2024年5月1日，订单日期20240501",
            "14:30 起飞，18:05 到达",
            "票价¥1280，税费1,280.00元，套餐3999元，总额12345678元",
            "客服热线95010，公司热线400-820-6666，座机010-12345678",
            "入住1208房，楼层12，共2间",
            "2024年客诉率下降了12.5%，满意度95%",
            "The customer thanked the agent for rebooking the flight.",
            "客人非常满意，表示下次还会选择我们的服务。",
            "已遮盖：138****5678、110*************2X、************1234、z***@example.com、E******78",
            "",
        ],
    )
    def test_left_alone(self, text):
        unchanged(text)

    def test_empty_text(self):
        assert mask_personal_data("") == MaskResult("", ())

    def test_rest_of_text_is_unchanged(self):
        text = "　　客人（王女士）来电：“我的手机是13812345678！”——请回电。\n第二行 ＡＢＣ"
        check(text, text.replace("13812345678", "138****5678"), ("phone",))


# -- special inputs ---------------------------------------------------------------------


class TestSpecialInput:
    def test_full_width_digits(self):
        check("客人手机１３８１２３４５６７８，想改签", "客人手机138****5678，想改签", ("phone",))
        number = id_number()
        full = number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
        check(f"身份证：{full}", f"身份证：{id_mask(number)}", ("id_card",))

    def test_full_width_email_and_grouping(self):
        check(
            "邮箱ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ，电话１３８－１２３４－５６７８",
            "邮箱z***@example.com，电话138****5678",
            ("phone", "email"),
        )

    def test_full_width_letters_keep_boundaries(self):
        unchanged("ＩＤ１３８１２３４５６７８")

    def test_very_long_text_is_masked(self):  # its speed: bench/privacy_bench.py
        filler = "客人来电说航班CA1234因天气取消，我们帮她改签到MU5101并安排了1208房，费用¥680由我们承担。"
        head, middle, tail = "手机13812345678。", "邮箱wang@example.com。", "护照E12345678，身份证11010519491231002X。"
        room = 20_000 - len(head) - len(middle) - len(tail)
        body = (filler * (room // len(filler) + 1))[:room]
        story = head + body[: room // 2] + middle + body[room // 2 :] + tail
        assert len(story) == 20_000
        expected = (
            "手机138****5678。"
            + body[: room // 2]
            + "邮箱w***@example.com。"
            + body[room // 2 :]
            + "护照E******78，身份证110*************2X。"
        )
        check(story, expected, ("phone", "id_card", "email", "passport"))

    def test_every_kind_in_one_story(self):
        card = luhn_number("622202", 19)
        number = id_number("310115", "19850615", "123")
        story = (
            "【改签】客人张先生（手机+86 139-1234-5678，身份证" + number + "）来电，"
            "说护照号码E12345678的证件即将过期，"
            "希望把订单号1234567890123456的机票改到下周，"
            "退款请退到他的银行卡" + grouped(card) + "，"
            "确认单请发到zhang.xs@example.com。航班CA1234，¥1280。"
        )
        expected = (
            "【改签】客人张先生（手机139****5678，身份证" + id_mask(number) + "）来电，"
            "说护照号码E******78的证件即将过期，"
            "希望把订单号1234567890123456的机票改到下周，"
            "退款请退到他的银行卡" + card_mask(card) + "，"
            "确认单请发到z***@example.com。航班CA1234，¥1280。"
        )
        check(story, expected, PII_KINDS)

    def test_never_contains_the_full_value(self):
        rng = random.Random(42)
        for _ in range(200):
            phone = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
            card = luhn_number("62", rng.choice((16, 19)), seed=rng.random())
            number = id_number(
                "440301",
                f"19{rng.randint(30, 99)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}",
                f"{rng.randint(0, 999):03d}",
            )
            text = f"电话{phone}，卡号{card}，身份证{number}"
            result = mask_personal_data(text)
            for value in (phone, card, number):
                assert value not in result.text
            assert result.kinds == ("phone", "id_card", "bank_card")


# -- mask_fields -------------------------------------------------------------------------------


class TestMaskFields:
    def test_title_and_body(self):
        texts, kinds = mask_fields("客人E12345678的改签", "邮箱a.b@example.com，手机13812345678")
        assert texts == ["客人E******78的改签", "邮箱a***@example.com，手机138****5678"]
        assert kinds == ["phone", "email", "passport"]

    def test_nothing_found(self):
        assert mask_fields("暖心服务", "客人很满意") == (["暖心服务", "客人很满意"], [])

    def test_no_texts(self):
        assert mask_fields() == ([], [])

    def test_kinds_are_unique_and_ordered(self):
        number = id_number()
        texts, kinds = mask_fields("13812345678", f"{number} 13912345678", "zhang@example.com")
        assert texts == ["138****5678", f"{id_mask(number)} 139****5678", "z***@example.com"]
        assert kinds == ["phone", "id_card", "email"]


# -- idempotence ---------------------------------------------------------------------------------


IDEMPOTENCE_SAMPLES = [
    "客人手机13812345678，想改签到明天",
    "+86 138 1234 5678 / 0086-159-8765-4321",
    "顾客的身份证号是11010519491231002X",
    f"银行卡号{grouped(luhn_number('622848', 19))}，信用卡{luhn_number('4', 16)}",
    f"Amex card {luhn_number('34', 15)}",
    "邮箱zhang.san@example.com.cn，备用13812345678@163.com",
    "护照号码：EA1234567，passport no. 123456789，PASSPORT #C12345",
    "**13812345678**",
    "a***13812345678",
    "a***zhang@163.com",
    "ordermaster@example.com " + luhn_number("6222", 16),
    "１３８１２３４５６７８，ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ",
    "订单号1234567890123456，航班CA1234，¥1280",
]


class TestIdempotence:
    @pytest.mark.parametrize("text", IDEMPOTENCE_SAMPLES)
    def test_masking_twice_changes_nothing(self, text):
        once = mask_personal_data(text)
        assert once.text != text or not once.kinds
        twice = mask_personal_data(once.text)
        assert twice.text == once.text
        assert twice.kinds == ()

    def test_every_kind_in_one_story(self):
        story = f"电话13812345678，身份证{id_number()}，卡号{luhn_number('6222', 16)}，邮箱z@example.com，护照G12345678"
        once = mask_personal_data(story)
        assert once.kinds == PII_KINDS
        assert mask_personal_data(once.text) == MaskResult(once.text, ())
