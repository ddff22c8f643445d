"""Flagging of answers that may disclose harm, and ordinary complaints left alone."""

import csv
import re

import pytest

from analysis.screen import (
    CATEGORIES,
    DATA_DIR,
    Flag,
    Screened,
    _alternatives,
    _compile_row,
    _is_latin,
    _lexicon,
    mask_personal,
    screen,
    screen_harm,
)
from analysis.text import normalise

DISCLOSURES = [
    # abuse: hurt or touched by a grown-up
    ("爸爸喝了酒就打我", "abuse"),
    ("我妈经常拿衣架打我", "abuse"),
    ("昨天被爸爸打得好疼", "abuse"),
    ("我被打得很惨，不敢回家", "abuse"),
    ("爸爸打我", "abuse"),
    ("妈妈打我屁股好痛", "abuse"),
    ("我爸一喝酒就拿皮带抽我", "abuse"),
    ("我爸打我打的好疼", "abuse"),
    ("繼父經常打我", "abuse"),
    ("他摸我，我很害怕", "abuse"),
    ("叔叔摸我下面还不让我告诉妈妈", "abuse"),
    ("有个叔叔让我摸他，还说这是我们的秘密", "abuse"),
    ("我考不好爸爸就把我关在门外", "abuse"),
    ("妈妈用烟头烫我", "abuse"),
    ("王老师打我耳光", "abuse"),
    ("爸爸骂我是废物", "abuse"),
    ("爸 爸 打 我", "abuse"),
    ("爸爸妈妈一吵架就打架，我很怕", "abuse"),
    # abuse and corporal punishment named as such
    ("继母虐待我，我好害怕回家", "abuse"),
    ("爸爸虐待我，每天晚上都怕", "abuse"),
    ("我被虐待了", "abuse"),
    ("妈妈虐待我", "abuse"),
    ("后爸经常虐待我和弟弟", "abuse"),
    ("老师体罚我", "abuse"),
    ("我被老师体罚了", "abuse"),
    # a plea tells of hitting: 不要再, 别, 不会再
    ("希望爸爸不要再打我了", "abuse"),
    ("求求妈妈别打我了", "abuse"),
    ("妈妈答应不会再打我了", "abuse"),
    ("爸爸再也不打我了", "abuse"),
    ("我希望他们不要再欺负我", "bullying"),
    ("希望不要再被欺负了", "bullying"),
    # locked in or out
    ("我被锁在门外", "abuse"),
    ("我经常被关在门外", "abuse"),
    ("妈妈把我锁在阳台上", "abuse"),
    # touching, and touching kept secret
    ("邻居叔叔让我不要告诉别人他碰我", "abuse"),
    ("鄰居叔叔讓我不要告訴別人他碰我", "abuse"),
    ("他碰我，我很害怕", "abuse"),
    ("他碰我还不让我说", "abuse"),
    ("那个人碰我的身体", "abuse"),
    ("教练让我千万别告诉妈妈", "abuse"),
    # a grown-up's gifts and secrecy across a comma, a stranger's lures
    ("校门口有个叔叔经常给我们糖吃，还让我不要告诉爸爸妈妈", "abuse"),
    ("邻居爷爷给我零花钱，说这是我们的秘密", "abuse"),
    ("有个陌生人给我糖吃", "abuse"),
    ("有个不认识的阿姨要带我走", "abuse"),
    ("有个陌生人跟着我走了好长一段路", "abuse"),
    ("有人性侵我", "abuse"),
    ("有人碰我", "abuse"),
    # a grown-up who hits people, not only 打我
    ("我爸喝醉了就打人", "abuse"),
    ("我 爸 喝 醉 了 就 打 人", "abuse"),
    ("我爸每天喝酒，喝醉了就会打人", "abuse"),
    ("我妈一生气就打人", "abuse"),
    ("我爸爸是打人的坏人", "abuse"),
    ("我爸家暴", "abuse"),
    # hurt at home by someone not named, or by the family
    ("家里有人打我😭😭", "abuse"),
    ("家里有人打我", "abuse"),
    ("家里人打我", "abuse"),
    ("在家被打", "abuse"),
    ("回家就挨打", "abuse"),
    ("回家就有人打我", "abuse"),
    ("有人在家打我", "abuse"),
    ("我家里有人经常骂我是废物", "abuse"),
    # 俺 and 咱, dialect words for 我
    ("爸爸老是打俺", "abuse"),
    ("俺爹喝了酒就打俺", "abuse"),
    ("他们天天欺负俺", "bullying"),
    ("俺不想活了", "self_harm"),
    ("咱家里没人管咱", "neglect"),
    # English
    ("my dad hits me", "abuse"),
    ("My Dad hits me every day", "abuse"),
    ("he touches me", "abuse"),
    ("I was hit by my mom", "abuse"),
    ("my dad hits my mom", "abuse"),
    # self-harm
    ("我不想活了", "self_harm"),
    ("我不想活乐", "self_harm"),
    ("活着真没意思", "self_harm"),
    ("我觉得活着没有意义", "self_harm"),
    ("我好想死", "self_harm"),
    ("我每天都想去死", "self_harm"),
    ("我想去si", "self_harm"),
    ("有时候我想用小刀划自己的手", "self_harm"),
    ("我在手臂上划了好几道", "self_harm"),
    ("我偷偷割过手腕", "self_harm"),
    ("我想从楼上跳下去", "self_harm"),
    ("要是没有我大家会更开心", "self_harm"),
    ("我写好了遗书", "self_harm"),
    ("wo bu xiang huo le", "self_harm"),
    ("i want to die", "self_harm"),
    ("I want to kill myself", "self_harm"),
    ("我吞了药", "self_harm"),
    ("我吞了一瓶安眠药", "self_harm"),
    ("我吃了一整瓶药", "self_harm"),
    ("我喝了农药", "self_harm"),
    # bullying
    ("班上的男生经常欺负我", "bullying"),
    ("我被期负了", "bullying"),
    ("我被高年级的同学勒索", "bullying"),
    ("他们都不跟我玩，孤立我", "bullying"),
    ("同桌骂我是猪", "bullying"),
    ("他们打我还抢我的钱", "bullying"),
    ("有几个人天天在网上骂我", "bullying"),
    ("隔壁班的男孩推倒我", "bullying"),
    ("他们把我堵在厕所里打", "bullying"),
    ("他们叫我去死", "bullying"),
    ("初中的时候我一直被霸凌", "bullying"),
    ("我同学张三打我", "bullying"),
    # left out, mocked, money and things taken
    ("我被孤立了", "bullying"),
    ("我被同学孤立了", "bullying"),
    ("我在班里被排挤", "bullying"),
    ("我被全班嘲笑", "bullying"),
    ("高年级的找我要钱", "bullying"),
    ("同学找我要钱", "bullying"),
    ("他们把我的书撕了", "bullying"),
    ("有人把我的书包扔进垃圾桶", "bullying"),
    ("我的作业本被同学撕了", "bullying"),
    ("他们都叫我胖子", "bullying"),
    ("班上有个男生经常打人", "bullying"),
    ("a boy in my class hits me", "bullying"),
    ("they bully me", "bullying"),
    ("I am being bullied", "bullying"),
    # neglect, hunger included
    ("我一个人在家好几天了", "neglect"),
    ("没人管我", "neglect"),
    ("家里经常没饭吃", "neglect"),
    ("我已经三天没吃饭了", "neglect"),
    ("我经常饿肚子", "neglect"),
    ("爸爸妈妈都不在身边很久了", "neglect"),
    ("好几年没见过妈妈了", "neglect"),
    ("晚上总是我一个人在家很害怕", "neglect"),
    ("生病了也没人带我去看病", "neglect"),
    ("後媽不給我飯吃", "neglect"),
    ("爸妈去旅游留我一个人在家三天", "neglect"),
    ("nobody takes care of me", "neglect"),
    # parents away for years or months, nobody cooking
    ("我三年没见过爸妈了，晚上一个人在家", "neglect"),
    ("爸妈三年没回家了", "neglect"),
    ("我两年没见到妈妈了", "neglect"),
    ("爸爸出去打工好几年都没回来", "neglect"),
    ("没人给我做饭", "neglect"),
    ("家里没人给我做饭，我天天吃泡面", "neglect"),
    # alone at home for days or nights, in either order
    ("我家没人，我一个人住好几天了", "neglect"),
    ("我一个人住好几天了", "neglect"),
    ("我自己在家住了一个星期", "neglect"),
    ("家里好几天都只有我一个人", "neglect"),
    ("家里没有大人好几天了", "neglect"),
    ("好几个晚上家里没有大人", "neglect"),
    ("他们都出去了，家里几天都没人", "neglect"),
    ("几天没人管我", "neglect"),
    ("this week I was home alone for three days", "neglect"),
    # both parents or all grown-ups away for days
    ("爸妈好几天没回家了", "neglect"),
    ("爸爸妈妈一个星期没回来了", "neglect"),
    ("大人不在家好几天", "neglect"),
    ("爸爸妈妈好几天都不在家，只有我自己", "neglect"),
    # no grown-up at night, and afraid
    ("晚上家里没有大人我好怕", "neglect"),
    ("半夜家里就我一个人，我睡不着", "neglect"),
    # a parent who left
    ("妈妈走了再也没回来", "neglect"),
    ("爸爸走了，再也没回来过", "neglect"),
    ("爸爸丢下我们走了", "neglect"),
    ("妈妈跟别人走了，不要我们了", "neglect"),
    ("我觉得我被抛弃了", "neglect"),
    ("my mom left me", "neglect"),
    # followed or watched
    ("有人跟踪我放学回家", "abuse"),
    ("我被人跟踪了", "abuse"),
    ("有个叔叔天天跟着我", "abuse"),
    ("陌生人一直跟着我", "abuse"),
    ("someone is following me", "abuse"),
    # someone met online asks for pictures, details, a meeting, secrecy
    ("网友要我发照片", "abuse"),
    ("网友要我的照片", "abuse"),
    ("网上的人让我拍照片", "abuse"),
    ("网上认识的哥哥让我拍视频给他", "abuse"),
    ("游戏里的人让我开视频", "abuse"),
    ("网友问我要家里的地址", "abuse"),
    ("网上认识的哥哥约我见面", "abuse"),
    ("网友让我加他微信", "abuse"),
    ("网友送了我一个红包", "abuse"),
    ("网友让我不要告诉爸妈", "abuse"),
    ("网上的朋友让我不要告诉爸妈", "abuse"),
    ("he asked me to send photos", "abuse"),
    # told to keep something from grown-ups, the teller unnamed
    ("叫我别告诉爸妈", "abuse"),
    ("他叫我不要告诉任何人", "abuse"),
    # another child bullies people, or pushes the child again and again
    ("我们班的张三老是欺负人", "bullying"),
    ("他老是欺负人", "bullying"),
    ("同学天天打我", "bullying"),
    ("同学天天欺负我", "bullying"),
    ("同学天天推我", "bullying"),
]

ORDINARY = [
    "作业太多了，我想多玩一会儿",
    "我想要滑滑梯",
    "妈妈不让我玩手机",
    "我想打篮球",
    "哥哥整天打游戏",
    "周末我帮妈妈打扫卫生",
    "今天被老师表扬了",
    "下雨天打车很难",
    "我的平板死机了",
    "这个笑话笑死了",
    "跑完步累死了",
    "夏天教室里热死了",
    "冬天冷死了",
    "我饿了想吃零食",
    "中午没吃饱有点饿",
    "爸爸从来不打我",
    "没有人欺负我，大家都很好",
    "老师说不要欺负同学",
    "如果有人欺负你，要告诉老师",
    "我们学校反对校园霸凌",
    "书上说要保护自己不被欺负",
    "游戏里我被打败了",
    "我差点被球打中",
    "我被妈妈带去打针",
    "我被蚊子咬了好多包",
    "爸爸给我打电话",
    "妈妈摸摸我的头说我真棒",
    "我不想活动课被取消",
    "跳楼机太刺激了",
    "我家小狗被车撞了",
    "我一个人在家的时候会看书",
    "爸爸妈妈在外地打工，过年才回来",
    "希望山区的小朋友不再饿肚子",
    "我和同学在操场上打闹",
    "老师抽我回答问题",
    "我想死你了，奶奶",
    "我想死去的爷爷",
    "这道题太难了，气死我了",
    "弟弟抢我的玩具",
    "妈妈骂我不好好写作业",
    "我不小心割到了手",
    "我从滑梯上跳下去",
    "打死我也不吃青椒",
    "我被同学选为班长",
    "我和朋友打赌",
    "活着真好",
    "妈妈叫我小胖子",
    "路灯坏了好久都没人管",
    "晚上一个人在家做作业",
    "护士抽我的血好疼",
    "我被爸爸骂了",
    # near the new wordings: play, housework, bumping, rules about hitting
    "同学打闹",
    "我爸爸打篮球",
    "妈妈打扫卫生",
    "爸爸喝醉了就打呼噜",
    "他碰到我的桌子了",
    "他碰了我一下",
    "弟弟碰我的东西",
    "不要碰我的铅笔",
    "打人是不对的",
    "老师说打人是不对的",
    "爸爸说打人要道歉",
    "妈妈说不能打人",
    "爸爸从来不打人",
    "我打人了，妈妈骂我",
    "老师批评了打人的同学",
    "老师上课不让我说话",
    "朋友让我不要告诉别人她喜欢谁",
    "我们学校反对家庭暴力",
    "my dad never hits me",
    "nobody bullies me",
    "the ball hit me",
    "I was hit by a ball",
    "he hit the ball",
    "my brother beats me at chess",
    "the story touched me",
    "I don't want to die",
    "we learned about bullying",
    "I love my dad",
    "my mom hugs me",
    # ordinary words and rules near the new wordings
    "作业太多",
    "想要滑滑梯",
    "哥哥打游戏",
    "打篮球",
    "打针",
    "老师批评我",
    "妈妈不会打我的",
    "他从来不欺负我",
    "没有人孤立我",
    "我们要关心被孤立的同学",
    "应该有专门的电话让被霸凌的学生求助",
    "老师说不要虐待小动物",
    "虐待儿童是违法的",
    "我们学校禁止体罚",
    "不要被欺负",
    "我不再被欺负了",
    # grown-ups' advice about strangers, and gifts from family
    "妈妈让我不要告诉陌生人我家的地址",
    "妈妈说不要吃陌生人给的糖",
    "如果陌生人给你糖不要吃",
    "阿姨给我们发了糖",
    "奶奶给我糖吃",
    "妈妈不让我说脏话",
    "爸爸不让我说谎",
    # a grade, a short trip, cooking
    "我三年级了",
    "三年前我去过北京",
    "爸爸出差三天就回来",
    "妈妈今天加班，爸爸给我做饭",
    "我会自己做饭",
    # locked out by accident, kept in for homework
    "我忘带钥匙，被锁在门外了",
    "电梯坏了，我被关在里面好久",
    "周末我被关在家里写作业",
    # a sibling, an accident, a rain shower
    "弟弟把我的书撕了",
    "我的书被雨淋湿了",
    "我不小心把书撕了",
    "我把书包扔在沙发上",
    "弟弟找我要糖",
    "我被这个笑话逗笑了",
    # medicine when ill
    "我感冒了，吞了药就睡觉",
    "我不会吞药片",
    "药片太大吞不下去",
    "奶奶每天要吃好多药",
    "我吃了药病就好了",
    # alone for a while, a parent on a trip, a date rather than a stay
    "周末我一个人在家看书",
    "我喜欢一个人玩",
    "我一个人住一个房间",
    "爸爸出差好几天了我想他",
    "我好几天没见到爸爸了，他出差了",
    "爸爸妈妈出去旅游好几天，奶奶照顾我",
    "爸爸妈妈上班一整天不在家",
    "前几天我一个人在家看书",
    "三天前我一个人在家",
    "过几天爸妈就回家了",
    "我在奶奶家住了好几天",
    "暑假我去外婆家住了一个星期",
    "这道题我做了好几天",
    "放学回家家里没人，我就去奶奶家",
    "晚上没有人陪我玩",
    "晚上一个人在家我不害怕",
    # a parent back soon, a grandparent who died
    "妈妈走了一会儿就回来了",
    "妈妈出门买菜，很快就回来",
    "爷爷走了",
    # someone close by, pictures for family, friends met online
    "弟弟总是跟着我",
    "小狗一直跟着我",
    "有个小朋友一直跟着我玩",
    "网友推荐的书很好看",
    "网友发的视频很好笑",
    "我和网友一起打游戏",
    "我想发照片给奶奶看",
    "妈妈让我发照片给奶奶",
    "老师让我们发照片",
    "我在网上看视频",
    "同桌叫我别告诉老师他抄作业",
    # rules about bullying, the child owning up, play
    "同学欺负人是不对的我们要制止",
    "欺负人的同学要道歉",
    "不要欺负人",
    "我欺负人了，妈妈骂我",
    "朋友推我荡秋千",
    # older than me, and 俺 in ordinary answers
    "大我三岁",
    "他大我三岁",
    "表哥大我两岁",
    "俺想打篮球",
    "爸爸从来不打俺",
    "没有人欺负俺",
    "咱们一起去打球吧",
]
NAMED = {"王老师打我耳光", "我同学张三打我", "我们班的张三老是欺负人"}


@pytest.mark.parametrize(("text", "category"), DISCLOSURES)
def test_flags_disclosures(text, category):
    flags = screen_harm(text)

    assert category in {flag.category for flag in flags}
    assert all(flag.evidence for flag in flags)


@pytest.mark.parametrize("text", ORDINARY)
def test_leaves_ordinary_complaints(text):
    assert screen_harm(text) == ()


@pytest.mark.parametrize(
    ("text", "category", "about"),
    [
        ("我同桌被欺负了", "bullying", "others"),
        ("电视上说有人被欺负", "bullying", "others"),
        ("我朋友说她爸爸打她", "abuse", "others"),
        ("新闻里有人自杀", "self_harm", "others"),
        ("有人给我起外号叫我胖猪", "bullying", "self"),
        ("班里有人天天问我要钱", "bullying", "self"),
        ("我们村有几个小孩没人管", "neglect", "others"),
        ("表弟的爸妈离婚了，没人照顾他", "neglect", "others"),
        ("班上有个男生经常打人", "bullying", "others"),
        ("我们班的张三老是欺负人", "bullying", "others"),
        ("my friend said her dad hits her", "abuse", "others"),
        ("he bullies my friend", "bullying", "others"),
        # harm done to the child itself, even when 有人 did it
        ("有人性侵我", "abuse", "self"),
        ("有人碰我", "abuse", "self"),
        ("有人骚扰我", "abuse", "self"),
        ("有人亲我的嘴", "abuse", "self"),
        ("我的烦恼是长得比别人矮，被同学嘲笑", "bullying", "self"),
        # a witness
        ("我见过邻居家大人打小孩", "abuse", "others"),
        ("我们老师经常体罚学生", "abuse", "others"),
        ("我的同学在家里被后妈虐待", "abuse", "others"),
        ("我们学校有个男生一直被全班孤立", "bullying", "others"),
    ],
)
def test_reports_about_others_are_flagged_lower(text, category, about):
    flags = screen_harm(text)

    assert [(f.category, f.about) for f in flags] == [(category, about)]


@pytest.mark.parametrize(
    "text", [t for t, _ in DISCLOSURES if t not in NAMED] + ORDINARY
)
def test_masking_keeps_the_words_of_an_answer(text):
    assert mask_personal(text).text == normalise(text)


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        # a grown-up's secret is flagged, a parent's too; a child's is not
        ("妈妈让我不要告诉爸爸我考砸了", ["abuse"]),
        ("朋友让我不要告诉别人她喜欢谁", []),
        # 碰我 at the end of a clause is touching, even in play
        ("玩游戏的时候他碰我", ["abuse"]),
        # a rule about hitting is not a disclosure, the next clause may be
        ("打人是不对的", []),
        ("爸爸说打人不对，可他喝醉了就打人", []),
        ("我爸说打人不对，可我爸喝醉了就打人", ["abuse"]),
        # who hits people decides the category, as for 打我
        ("我哥哥的同学经常打人", ["bullying"]),
        ("电视里有人打人", ["bullying"]),
        # one parent away for days may leave the other at home; both is neglect
        ("妈妈好几天没回家了", []),
        ("爸妈好几天没回家了", ["neglect"]),
        # someone not named hurting the child at home is abuse, elsewhere or a
        # child named at home is bullying
        ("家里有人打我😭😭", ["abuse"]),
        ("家里有人打我", ["abuse"]),
        ("回家就有人打我", ["abuse"]),
        ("他们在家里打我", ["abuse"]),
        ("回家的路上有人打我", ["bullying"]),
        ("我家附近有人打我", ["bullying"]),
        ("同学来我家打我", ["bullying"]),
        ("学校里有人打我", ["bullying"]),
        # the one hurt, named at the end, is not who hurt
        ("老师经常打别人", ["abuse"]),
        ("我爸喝醉了就打别人", ["abuse"]),
    ],
)
def test_borderline_choices(text, categories):
    assert [f.category for f in screen_harm(text)] == categories


def test_parent_who_hits_people_is_about_the_child():
    flags = screen_harm("我爸每天喝酒，喝醉了就会打人")

    assert [(f.category, f.about) for f in flags] == [("abuse", "self")]
    assert flags[0].evidence == "我爸每天喝酒，喝醉了就会打人"


def test_evidence_carries_no_personal_details():
    flags = screen_harm("我叫王小明，住在人民路88号。我同桌李华天天打我")

    assert [f.category for f in flags] == ["bullying"]
    assert flags[0].evidence == "我同桌[名字]天天打我"
    assert "王小明" not in flags[0].evidence


def test_one_flag_per_sentence_and_category():
    flags = screen_harm("爸爸打我，还踢我。我不想活了。")

    assert [(f.category, f.evidence) for f in flags] == [
        ("abuse", "爸爸打我，还踢我"),
        ("self_harm", "我不想活了"),
    ]


def test_denial_in_one_clause_does_not_hide_the_next():
    flags = screen_harm("妈妈从来不打我，但是爸爸经常打我")

    assert [f.category for f in flags] == ["abuse"]


def test_screen_masks_and_flags_in_one_pass():
    result = screen("我是城南小学的李华，同学们总是欺负我")

    assert isinstance(result, Screened)
    assert result.masked == "我是[学校]的[名字]，同学们总是欺负我"
    assert result.pii_kinds == ("name", "school")
    assert result.flags == (Flag("bullying", result.masked),)


def test_lexicon_is_readable_data():
    with (DATA_DIR / "safeguarding.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))

    assert list(rows[0]) == ["category", "pattern", "notes"]
    used = {row["category"] for row in rows if not row["category"].startswith("{")}
    assert used == {*CATEGORIES, "hurt", "ignore"}


@pytest.fixture
def lexicon_file(tmp_path, monkeypatch):
    """Point the lexicon at a file of the test's own, and load it afresh."""
    monkeypatch.setattr("analysis.screen.DATA_DIR", tmp_path)
    _lexicon.cache_clear()
    yield tmp_path / "safeguarding.csv"
    _lexicon.cache_clear()


def test_a_row_with_an_unquoted_comma_names_its_line(lexicon_file):
    lexicon_file.write_text(
        "category,pattern,notes\nabuse,打{0,3}我,a comma in the pattern\n",
        encoding="utf-8",
    )

    with pytest.raises(ValueError, match="line 2: more than three columns"):
        _lexicon()


def test_rows_capture_nothing_but_keep_back_references():
    assert _compile_row(2, "(不要|别)(再)?打我", {}).pattern == "(?:不要|别)(?:再)?打我"
    assert _compile_row(2, "[(]x(?=y)", {}).pattern == "[(]x(?=y)"
    assert _compile_row(2, r"(哈)\1", {}).pattern == r"(哈)\1"


def test_every_lexicon_row_compiles_once():
    lexicon = _lexicon()

    assert lexicon is _lexicon()
    assert all(isinstance(p, re.Pattern) for _, p in lexicon.rows)
    assert {c for c, _ in lexicon.rows} == {*CATEGORIES, "hurt"}


@pytest.mark.parametrize(
    ("pattern", "message"), [("{nobody}打我", "nobody"), ("(打我", "missing )")]
)
def test_a_wrong_row_names_its_line(pattern, message):
    with pytest.raises(ValueError, match=rf"line 7: .*{re.escape(message)}"):
        _compile_row(7, pattern, {"adult": "爸爸"})


def test_rows_split_at_the_top_level_match_the_same_texts():
    whole = re.compile(r"[|(]x|a(b|c)d|\|e|(?:f|g)h|(i)?j|\bkl|[m|n]o")
    parts = _alternatives(whole)

    assert [p.pattern for p in parts] == [
        "a(b|c)d",
        "(?:f|g)h",
        r"[|(]x|\|e|(i)?j|\bkl|[m|n]o",
    ]
    texts = ["|x", "(x", "abd", "acd", "|e", "fh", "gh", "j", "ij", "kl", "mo", "|o"]
    for text in [*texts, "ab", "e", "h", "k", "o", "xkl"]:
        found = {m.group() for part in parts for m in part.finditer(text)}
        assert found == {m.group() for m in whole.finditer(text)}, text


def test_latin_rows_are_told_from_chinese_ones():
    assert _is_latin(re.compile(r"\bmy dad\s+hits"))
    assert _is_latin(re.compile(r"zi ?sha"))
    assert not _is_latin(re.compile(r"自(杀|sha)"))
    assert _is_latin(re.compile(r"don['’]t"))
    assert not _is_latin(re.compile(r"\d{7}\s\b"))
    assert {c for c, _ in _lexicon().latin_rows} == {*CATEGORIES, "hurt"}


def test_screens_a_class_worth_of_answers():
    answers = [text for text, _ in DISCLOSURES] + ORDINARY
    results = [screen(text) for text in answers * 5]

    flagged = sum(bool(r.flags) for r in results)
    assert flagged == len(DISCLOSURES) * 5
