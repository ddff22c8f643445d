"""Masking of personal details in children's answers before staff read them."""

import csv
import random
import re
from dataclasses import FrozenInstanceError

import pytest

from analysis.screen import DATA_DIR, PLACEHOLDERS, Masked, mask_personal
from analysis.text import normalise

MASKED = [
    # names introduced by context
    ("我叫王小明，今年9岁。", "我叫[名字]，今年9岁。", ("name",)),
    ("我的名字是陈一鸣", "我的名字是[名字]", ("name",)),
    (
        "我是三年级的李华，我想要更多的书",
        "我是三年级的[名字]，我想要更多的书",
        ("name",),
    ),
    ("我同学张三经常帮我", "我同学[名字]经常帮我", ("name",)),
    ("我同桌刘洋洋总是抢我东西", "我同桌[名字]总是抢我东西", ("name",)),
    ("我的好朋友叫刘洋", "我的好朋友叫[名字]", ("name",)),
    ("我叫欧阳娜娜今年十岁", "我叫[名字]今年十岁", ("name",)),
    ("我叫小红。小红喜欢画画", "我叫[名字]。[名字]喜欢画画", ("name",)),
    ("姓名：王小明", "姓名：[名字]", ("name",)),
    ("我姓王，在这里上学", "我姓[名字]，在这里上学", ("name",)),
    ("李华同学总是帮助别人", "[名字]同学总是帮助别人", ("name",)),
    ("有个同学王一鸣转学了", "有个同学[名字]转学了", ("name",)),
    ("我叫Tom，今年八岁", "我叫[名字]，今年八岁", ("name",)),
    # a space or a colon after the context, a space inside the name
    ("我叫 王小明", "我叫[名字]", ("name",)),
    ("我叫：陈思远", "我叫：[名字]", ("name",)),
    ("我叫:陈思远，今年9岁", "我叫：[名字]，今年9岁", ("name",)),
    ("我叫王 小明，今年9岁", "我叫[名字]，今年9岁", ("name",)),
    ("我叫王小 明，喜欢踢球", "我叫[名字]，喜欢踢球", ("name",)),
    ("我叫 王 小 明。王小明喜欢画画", "我叫[名字]。[名字]喜欢画画", ("name",)),
    ("我叫欧阳 娜娜今年十岁", "我叫[名字]今年十岁", ("name",)),
    ("我的名字是：王小明，我喜欢画画", "我的名字是：[名字]，我喜欢画画", ("name",)),
    ("我的名字是 陈一鸣", "我的名字是[名字]", ("name",)),
    ("名字叫 王小明", "名字叫[名字]", ("name",)),
    ("姓名： 王小明", "姓名：[名字]", ("name",)),
    ("姓名：\n王小明", "姓名： [名字]", ("name",)),
    ("他叫 小刚，是我同桌", "他叫[名字]，是我同桌", ("name",)),
    ("我叫小明 今年九岁", "我叫[名字] 今年九岁", ("name",)),
    ("我叫：Tom，今年八岁", "我叫：[名字]，今年八岁", ("name",)),
    # a name in quotes or with a dash or a dot inside it
    ("我叫“王小明”，今年9岁", "我叫“[名字]”，今年9岁", ("name",)),
    ("我叫「王小明」", "我叫「[名字]」", ("name",)),
    ("我叫『陈思远』，我喜欢画画", "我叫『[名字]』，我喜欢画画", ("name",)),
    ('我叫"王小明"，今年9岁', '我叫"[名字]"，今年9岁', ("name",)),
    ("他叫“小刚”，是我同桌", "他叫“[名字]”，是我同桌", ("name",)),
    ("姓名：“王小明”", "姓名：“[名字]”", ("name",)),
    ("我叫“Tom”", "我叫“[名字]”", ("name",)),
    ("我叫王-小明", "我叫[名字]", ("name",)),
    ("我叫王-小明，今年9岁", "我叫[名字]，今年9岁", ("name",)),
    ("我叫王·小明。王小明喜欢画画", "我叫[名字]。[名字]喜欢画画", ("name",)),
    # a name typed in pinyin
    ("wojiaowangxiaoming", "wojiao[名字]", ("name",)),
    ("wo jiao wang xiao ming", "wo jiao [名字]", ("name",)),
    (
        "Wo jiao Wang Xiaoming, jin nian 9 sui",
        "wo jiao [名字], jin nian 9 sui",
        ("name",),
    ),
    ("wo jiao ou yang na na", "wo jiao [名字]", ("name",)),
    ("wo jiao ma xiao hu", "wo jiao [名字]", ("name",)),
    ("我叫wang xiao ming", "我叫[名字]", ("name",)),
    # a classmate's name after 我们班的 or a leading 同学, before a deed
    ("我们班的张三老是欺负人", "我们班的[名字]老是欺负人", ("name",)),
    ("班上的李四打我", "班上的[名字]打我", ("name",)),
    ("我们班有个王小明天天骂我", "我们班有个[名字]天天骂我", ("name",)),
    ("同学张三老是欺负人", "同学[名字]老是欺负人", ("name",)),
    (
        "我们班的张三老是欺负人，张三还打我",
        "我们班的[名字]老是欺负人，[名字]还打我",
        ("name",),
    ),
    # a relative's name, and a name after "my name is"
    ("我妈妈叫陈美丽", "我妈妈叫[名字]", ("name",)),
    ("我爸爸叫王大山，是医生", "我爸爸叫[名字]，是医生", ("name",)),
    ("我妈妈叫陈美丽我爸爸叫王大山", "我妈妈叫[名字]我爸爸叫[名字]", ("name",)),
    ("我奶奶名叫李秀英", "我奶奶名叫[名字]", ("name",)),
    (
        "my name is Lily Wang and I want a park",
        "my name is [名字] and i want a park",
        ("name",),
    ),
    ("My name is Tom, I am 9", "my name is [名字], i am 9", ("name",)),
    ("my name's Lily", "my name's [名字]", ("name",)),
    (
        "I am called Wang Fang and I like cats",
        "i am called [名字] and i like cats",
        ("name",),
    ),
    # teachers
    ("我们老师姓陈，她很温柔", "我们老师姓[老师]，她很温柔", ("teacher",)),
    ("王老师布置的作业太多了", "[老师]布置的作业太多了", ("teacher",)),
    ("感谢李娜老师", "感谢[老师]", ("teacher",)),
    ("我们王校长很和蔼", "我们[老师]很和蔼", ("teacher",)),
    ("今天语文课王老师表扬我", "今天语文课[老师]表扬我", ("teacher",)),
    # phone numbers, full-width digits included
    ("我妈妈的电话是15867091234", "我妈妈的电话是[电话]", ("phone",)),
    ("有事打138 1234 5678找我", "有事打[电话]找我", ("phone",)),
    ("电话：139-0577-1234", "电话：[电话]", ("phone",)),
    ("家里座机0577-62345678", "家里座机[电话]", ("phone",)),
    ("我的电话是１３９１２３４５６７８", "我的电话是[电话]", ("phone",)),
    ("我家电话是62345678", "我家电话是[电话]", ("phone",)),
    ("打13888888888能找到我爸", "打[电话]能找到我爸", ("phone",)),
    ("我家电话一三八幺二三四五六七八", "我家电话[电话]", ("phone",)),
    # ID numbers, accounts, e-mail
    ("身份证号330382201201011234", "身份证号[身份证号]", ("id_number",)),
    ("我的身份证是33038220120101123X", "我的身份证是[身份证号]", ("id_number",)),
    ("我的QQ号是876543219", "我的qq号是[账号]", ("account",)),
    ("加我微信abc_12345", "加我微信[账号]", ("account",)),
    ("我的vx: xiaoming2012", "我的vx: [账号]", ("account",)),
    ("我的邮箱是xiaoming@163.com", "我的邮箱是[邮箱]", ("email",)),
    # schools
    ("我在城南小学读书", "我在[学校]读书", ("school",)),
    ("我是乐成第一小学的学生", "我是[学校]的学生", ("school",)),
    ("我在实验二小上学", "我在[学校]上学", ("school",)),
    ("我们育英实验学校很大", "我们[学校]很大", ("school",)),
    ("妹妹上的是阳光幼儿园", "妹妹上的是[学校]", ("school",)),
    # a school named after a road whose name is an everyday word
    ("我在乐清市建设路小学", "我在[学校]", ("school",)),
    ("我在和平路小学读书", "我在[学校]读书", ("school",)),
    ("我是建设路小学的学生", "我是[学校]的学生", ("school",)),
    # classes
    ("我在三年级二班", "我在[班级]", ("class",)),
    ("我是五（3）班的", "我是[班级]的", ("class",)),
    ("我读初二3班", "我读[班级]", ("class",)),
    ("高一(5)班的同学都很好", "[班级]的同学都很好", ("class",)),
    ("我在503班", "我在[班级]", ("class",)),
    # addresses
    ("我家住在人民路88号", "我家住在[地址]", ("address",)),
    ("我家在阳光小区5幢2单元301室", "我家在[地址]", ("address",)),
    ("我住在下岙村12号", "我住在[地址]", ("address",)),
    ("我家门牌号是36号", "我家门牌号是[地址]", ("address",)),
    ("我家住在阳光小区", "我家住在[地址]", ("address",)),
    ("我家住在建设路88号", "我家住在[地址]", ("address",)),
    ("我住在和平路", "我住在[地址]", ("address",)),
    ("我家住在建设路旁边", "我家住在[地址]旁边", ("address",)),
    # traditional characters
    ("我叫張小華，在城南小學讀書", "我叫[名字]，在[学校]读书", ("name", "school")),
    ("我是五年級(2)班的", "我是[班级]的", ("class",)),
    # several kinds at once
    (
        "我是城南小学五年级二班的李华，电话15867091234",
        "我是[学校][班级]的[名字]，电话[电话]",
        ("name", "phone", "school", "class"),
    ),
]

UNCHANGED = [
    "放学时学校门口车太多",
    "我们班的同学都很好",
    "老师布置的作业太多了",
    "公园里的滑梯坏了",
    "我是三年级的学生",
    "我想上一所好的小学",
    "小学生也要有自己的时间",
    "我上幼儿园的时候很开心",
    "我们小区没有游乐场",
    "我家住在农村",
    "人民路上车太多了",
    "我今年10岁，读四年级",
    "2023-2024学年我参加了合唱团",
    "我们数一二三就开始跑",
    "数学老师很严格",
    "我们的语文老师讲课很有趣",
    "我同学都很喜欢踢足球",
    "我叫妈妈给我买书",
    "新同学很友好",
    "女老师比男老师多",
    "我有三个好朋友",
    "希望学校多开一些兴趣班",
    "我们玩了一小时",
    "我的名字很好听",
    "全班同学一起去春游",
    "我是班长",
    "我们学校有一千多个学生",
    "高年级同学会欺负人",
    "我热爱学校",
    "我想当一名老师",
    "班主任老师很关心我们",
    "我是留守儿童",
    "同学之间要互相帮助",
    "他叫我一起玩",
    "百家姓里有很多姓",
    "我是乐清人",
    "我是真的很喜欢画画",
    "我同学家里有只小狗",
    "我被高年级的同学勒索",
    "我被同学选为班长",
    "小朋友们在沙坑里搭城堡",
    "下雨天学校门口积水很深",
    "建议学校多组织春游",
    "我们需要编程老师",
    "我是good boy",
    "我同学选我当班长",
    # 我叫 meaning "I call", with a space or a colon
    "我叫妈妈来接我",
    "我叫 妈妈来接我",
    "我叫：妈妈快来",
    "他叫 我一起玩",
    "我叫了妈妈好几声",
    "我想要一个电话手表",
    # a road that is not a home, a quoted word that is not a name
    "我每天走建设路上学",
    "我家在山上，下雨天路很滑",
    "我们学校门口的路太窄",
    "他们在路边玩",
    "我叫“妈妈”快来",
    "我叫——我也不知道",
    # things and groups after 我们班的, and 同学 before a word that is no name
    "我们班的黑板很脏",
    "我们班的电脑老是坏",
    "我们班的窗户老是关不上",
    "我们班的卫生打扫得很好",
    "我们班的饮水机又坏了",
    "我们班的图书角经常被弄乱",
    "我们班的规定说不能跑",
    "我们班的男生老是欺负人",
    "我们班的女生都喜欢跳绳",
    "我们班的老师经常表扬我",
    "我们班的小仓鼠老是咬人",
    "我们班有个新同学",
    "同学欺负人是不对的",
    "同学们都很好",
    "同学家里有只小狗",
    # a relative calls someone or something: 叫 meaning "call"
    "妈妈叫我回家",
    "妈妈叫快递",
    "爸爸叫警察",
    "妈妈叫救护车",
    "妈妈叫邻居帮忙",
    "妈妈叫弟弟去洗澡",
    "妈妈叫小狗回来",
    "奶奶叫我们吃饭",
    "爸爸叫了出租车",
    "妈妈叫醒我",
    "my name is not important",
    "I am happy",
    # wo jiao meaning "I call"
    "wo jiao mama lai jie wo",
    "wojiaomamalaijiewo",
    "wo jiao wo de peng you",
]

#: phone numbers with separators or digits written in characters
PHONES = [
    "138.1234.5678",
    "138/1234/5678",
    "138 1234 5678",
    "138 - 1234 - 5678",
    "138_1234_5678",
    "１３８．１２３４．５６７８",
    "138一二三四5678",
    "一三八 一二三四 五六七八",
    "幺三八一二三四五六七八",
    "壹叁捌壹贰叁肆伍陆柒捌",
    "壹參捌壹貳參肆伍陸柒捌",
    "壹叁捌 一二三四 5678",
    "0577.6234.5678",
    "(0577)6234-5678",
    "+86 138.1234.5678",
    "6234 5678",
]

#: e-mail addresses with "at" and "dot" spelt out or bracketed
EMAILS = [
    "abc(at)qq.com",
    "abc（at）qq.com",
    "abc at qq dot com",
    "ABC AT QQ DOT COM",
    "abc[at]qq[dot]com",
    "abc (at) qq (dot) com",
    "xiao.ming at 163 dot com",
    "xiaoming艾特163点com",
    "abc#qq.com",
]

#: numbers that are not phone numbers: dates, times, scores, decimals
NOT_PHONES = [
    "今天是2024.05.06",
    "2024/5/6是我的生日",
    "2024-05-06是我的生日",
    "生日是6/5/2024",
    "比赛在2024.6.1举行",
    "2023.9-2024.6是一个学年",
    "2023-2024学年我参加了合唱团",
    "早上7:30上课，下午4:30放学",
    "我考了98.5分",
    "三门课考了98 99 100分",
    "分数是100-98-95",
    "圆周率是3.1415926",
    "我每天跑1000米",
    "我们学校有1200个学生",
    "6.1儿童节快乐",
    "1/2 + 1/3 等于多少",
    "我们数一二三就开始跑",
    "我们约在school at 3点",
    "look at the cat dot",
]


@pytest.mark.parametrize(("text", "expected", "kinds"), MASKED)
def test_masks_personal_details(text, expected, kinds):
    masked = mask_personal(text)

    assert masked.text == expected
    assert masked.kinds == kinds


@pytest.mark.parametrize("text", UNCHANGED)
def test_keeps_generic_mentions(text):
    masked = mask_personal(text)

    assert masked.text == normalise(text)
    assert masked.kinds == ()


@pytest.mark.parametrize("number", PHONES)
def test_masks_phone_numbers_however_written(number):
    masked = mask_personal(f"我的电话是{number}，快来找我")

    assert masked.text == "我的电话是[电话]，快来找我"
    assert masked.kinds == ("phone",)


@pytest.mark.parametrize("email", EMAILS)
def test_masks_spelt_out_email(email):
    masked = mask_personal(f"我的邮箱是{email}，快来找我")

    assert masked.text == "我的邮箱是[邮箱]，快来找我"
    assert masked.kinds == ("email",)


@pytest.mark.parametrize("text", NOT_PHONES)
def test_keeps_dates_times_scores_and_numbers(text):
    masked = mask_personal(text)

    assert masked.text == normalise(text)
    assert masked.kinds == ()


def test_a_class_number_is_a_class_not_a_phone():
    masked = mask_personal("我在3班，我们班有45个人")

    assert masked.text == "我在[班级]，我们班有45个人"
    assert masked.kinds == ("class",)


def _number(rng: random.Random) -> str:
    """Return a random run of 7 to 18 digits, sometimes split by spaces or dashes."""
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(7, 18)))
    if rng.random() < 0.3:
        digits = digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    sep = rng.choice(["", "", " ", "-"])
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


NUMBERS = [_number(random.Random(seed)) for seed in range(40)]


@pytest.mark.parametrize("number", NUMBERS)
def test_masked_text_has_no_long_digit_run(number):
    masked = mask_personal(f"有事可以找我，{number}，谢谢")

    assert not re.search(r"\d{7,}", masked.text)
    assert "phone" in masked.kinds or "id_number" in masked.kinds


def test_kinds_follow_the_placeholder_order():
    masked = mask_personal("电话15867091234，我叫李小龙，住在人民路8号")

    assert masked.kinds == ("name", "phone", "address")
    assert list(masked.kinds) == [k for k in PLACEHOLDERS if k in masked.kinds]


def test_masked_is_frozen():
    masked = mask_personal("我叫王小明")

    assert isinstance(masked, Masked)
    with pytest.raises(FrozenInstanceError):
        masked.text = "changed"


@pytest.mark.parametrize("text", ["", "   ", "你好"])
def test_short_input(text):
    assert mask_personal(text).kinds == ()


def test_word_lists_are_readable_data():
    with (DATA_DIR / "pii_words.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))

    assert set(rows[0]) == {"list", "word", "notes"}
    lists = {row["list"] for row in rows}
    assert {"school_suffix", "left_boundary", "right_boundary", "not_name"} <= lists
    assert all(row["word"].strip() == row["word"] and row["word"] for row in rows)
