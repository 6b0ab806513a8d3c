"""Deterministic synthetic HEAT cases for the search and metrics benchmarks.

Builds plausible contact-center service stories (mostly Simplified Chinese, about 5 % in
Traditional characters, about 3 % with some English) from a travel customer-service vocabulary:
per business line a set of scenarios, customer types, cities, flight and train numbers, agent
actions, outcomes and takeaways, filled into many sentence templates. The same ``n`` and
``seed`` always give the same cases, so benchmark runs are comparable.

The stories carry no personal data (no phone, ID card, card, passport numbers or e-mails), so
masking does not dominate a benchmark that imports them.

    .venv/bin/python bench/casegen.py 100000 /tmp/gen.jsonl --seed 0 --authors agent_li,agent_wang

``generate_cases(n, seed, authors)`` yields dicts in the app's case import format.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from heatcases.vocab import (
    BUSINESS_LINE_CODES,
    CHANNEL_CODES,
    PRAISE_CODES,
    VALUES,
    canonical_behaviors,
    canonical_tags,
)

# ---------------------------------------------------------------------------------------------
# Distributions of the structured fields
# ---------------------------------------------------------------------------------------------

LAST_DAY = date(2026, 11, 1)
SPAN_DAYS = 730  # occurred_on falls within the two years before LAST_DAY
BODY_MIN, BODY_MAX = 300, 900
TITLE_MIN, TITLE_MAX = 12, 40
TRADITIONAL_SHARE = 0.05
ENGLISH_SHARE = 0.03
PRAISE_SHARE = 0.2

BEHAVIORS_OF_TAG = {value.code: tuple(behavior.code for behavior in value.behaviors) for value in VALUES}
TAG_WEIGHTS = {"heartwarming": 36, "effortless": 20, "active": 28, "trust": 16}
TAG_COUNT_WEIGHTS = {1: 52, 2: 33, 3: 11, 4: 4}
BEHAVIOR_COUNT_WEIGHTS = {0: 15, 1: 40, 2: 30, 3: 15}
LINE_WEIGHTS = {"flight": 34, "hotel": 26, "vacation": 11, "train": 13, "car": 6, "attraction": 6, "other": 4}
CHANNEL_WEIGHTS = {"phone": 58, "chat": 27, "email": 6, "onsite": 9}
PRAISE_WEIGHTS = {"letter": 32, "banner": 14, "video": 12, "online_review": 42}

assert set(TAG_WEIGHTS) == set(BEHAVIORS_OF_TAG)
assert set(LINE_WEIGHTS) == set(BUSINESS_LINE_CODES)
assert set(CHANNEL_WEIGHTS) == set(CHANNEL_CODES)
assert set(PRAISE_WEIGHTS) == set(PRAISE_CODES)

# ---------------------------------------------------------------------------------------------
# Word lists for the slots
# ---------------------------------------------------------------------------------------------

SURNAMES = (
    "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 "
    "许 韩 冯 邓 曹 彭 曾 肖 田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 "
    "姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 韦 付 方 白 邹 孟 熊 秦 邱 江 尹 "
    "薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 覃 武 戴 莫 孔 向 汤 "
    "欧阳 司马 上官"
).split()
FOREIGN_NAMES = (
    "史密斯 约翰逊 穆勒 田中 金 马丁 罗西 伊万诺夫 加西亚 佐藤 威尔逊 杜邦 安德森 铃木 朴 汤普森 施密特 洛佩斯"
).split()
COUNTRIES = (
    "德国 法国 美国 英国 澳大利亚 加拿大 日本 韩国 新加坡 泰国 "
    "马来西亚 俄罗斯 意大利 西班牙 巴西 荷兰 瑞典 新西兰 墨西哥"
).split()

# City -> airports (the first is used most); cities without their own entry use "<city>机场".
DOMESTIC_AIRPORTS = {
    "北京": ("首都机场", "大兴机场"),
    "上海": ("浦东机场", "虹桥机场"),
    "广州": ("白云机场",),
    "深圳": ("宝安机场",),
    "成都": ("天府机场", "双流机场"),
    "重庆": ("江北机场",),
    "杭州": ("萧山机场",),
    "南京": ("禄口机场",),
    "武汉": ("天河机场",),
    "西安": ("咸阳机场",),
    "昆明": ("长水机场",),
    "长沙": ("黄花机场",),
    "厦门": ("高崎机场",),
    "青岛": ("胶东机场",),
    "大连": ("周水子机场",),
    "沈阳": ("桃仙机场",),
    "哈尔滨": ("太平机场",),
    "乌鲁木齐": ("地窝堡机场",),
    "三亚": ("凤凰机场",),
    "海口": ("美兰机场",),
    "贵阳": ("龙洞堡机场",),
    "南宁": ("吴圩机场",),
    "郑州": ("新郑机场",),
    "济南": ("遥墙机场",),
    "天津": ("滨海机场",),
    "福州": ("长乐机场",),
    "合肥": ("新桥机场",),
    "南昌": ("昌北机场",),
    "兰州": ("中川机场",),
    "西宁": ("曹家堡机场",),
    "拉萨": ("贡嘎机场",),
    "银川": ("河东机场",),
    "呼和浩特": ("白塔机场",),
    "太原": ("武宿机场",),
    "石家庄": ("正定机场",),
    "长春": ("龙嘉机场",),
    "丽江": ("三义机场",),
    "桂林": ("两江机场",),
    "西双版纳": ("嘎洒机场",),
    "张家界": ("荷花机场",),
    "宁波": ("栎社机场",),
    "温州": ("龙湾机场",),
    "珠海": ("金湾机场",),
    "烟台": ("蓬莱机场",),
    "无锡": ("硕放机场",),
    "泉州": ("晋江机场",),
    "大理": ("大理机场",),
    "敦煌": ("莫高机场",),
    "喀什": ("喀什机场",),
    "延吉": ("朝阳川机场",),
}
ABROAD_AIRPORTS = {
    "东京": ("成田机场", "羽田机场"),
    "大阪": ("关西机场",),
    "首尔": ("仁川机场",),
    "新加坡": ("樟宜机场",),
    "曼谷": ("素万那普机场", "廊曼机场"),
    "清迈": ("清迈机场",),
    "普吉岛": ("普吉机场",),
    "巴厘岛": ("巴厘岛机场",),
    "吉隆坡": ("吉隆坡机场",),
    "河内": ("内排机场",),
    "胡志明市": ("新山一机场",),
    "迪拜": ("迪拜机场",),
    "伊斯坦布尔": ("伊斯坦布尔机场",),
    "巴黎": ("戴高乐机场",),
    "伦敦": ("希思罗机场",),
    "法兰克福": ("法兰克福机场",),
    "罗马": ("罗马机场",),
    "米兰": ("马尔彭萨机场",),
    "苏黎世": ("苏黎世机场",),
    "马德里": ("马德里机场",),
    "纽约": ("肯尼迪机场",),
    "洛杉矶": ("洛杉矶机场",),
    "旧金山": ("旧金山机场",),
    "温哥华": ("温哥华机场",),
    "悉尼": ("悉尼机场",),
    "墨尔本": ("墨尔本机场",),
    "奥克兰": ("奥克兰机场",),
    "马累": ("马累机场",),
    "札幌": ("新千岁机场",),
    "济州岛": ("济州机场",),
    "莫斯科": ("谢列梅捷沃机场",),
}
DOMESTIC_CITIES = tuple(DOMESTIC_AIRPORTS)
ABROAD_CITIES = tuple(ABROAD_AIRPORTS)
BIG_CITIES = DOMESTIC_CITIES[:16]  # the busiest cities come up more often
AIRLINE_CODES = "MU CA CZ HU 3U ZH MF FM SC HO 9C KN GS JD TV GJ EU PN 8L NH JL SQ CX TG KE EK TK".split()
TRAIN_LETTERS = "GGGGDDDCKZT"
STATION_SUFFIXES = ("站", "南站", "东站", "西站", "北站", "站", "南站")
HOTEL_SYLLABLES = "悦云栖锦澜星望海枫竹岚屿禾曼逸安瑞嘉雅璞隐湾景泊宿沐憩溪澄朗汀澜筑".replace(" ", "")
HOTEL_KINDS = tuple(
    ("酒店 大酒店 度假酒店 精品酒店 民宿 公寓酒店 温泉酒店 花园酒店 商务酒店 亲子酒店 海景酒店").split()
)
WEATHER = ("雷雨", "雷雨", "大雾", "暴雨", "台风", "暴雪", "强对流", "大风", "冰冻")
ITEMS = tuple(
    (
        "笔记本电脑 儿童手表 降压药 单反相机 毛绒玩具 蓝牙耳机 充电宝 结婚戒指 羽绒服 "
        "证件袋 文件袋 老花镜 平板电脑 保温杯 钱包 机械手表 羊绒围巾 小药箱 设计画稿 "
        "小提琴 婴儿推车 拐杖 助听器 吉他 奖杯 老相册 胰岛素 备用手机 家门钥匙 登山包 "
        "无人机 毕业证书"
    ).split()
)
LANDMARKS = tuple(
    (
        "故宫 兵马俑 黄山 张家界国家森林公园 九寨沟 鼓浪屿 峨眉山 泰山 华山 玉龙雪山 "
        "洱海 漓江 莫高窟 布达拉宫 天门山 乌镇 西塘 长白山 武夷山 庐山 千岛湖 "
        "黄果树瀑布 西湖 颐和园 八达岭长城 天坛 东方明珠 珠江夜游 野生动物园 海洋公园 "
        "冰雪大世界 稻城亚丁 青海湖 茶卡盐湖 鸣沙山 呼伦贝尔草原 普陀山 五台山 梵净山 "
        "三清山 龙门石窟 云冈石窟 少林寺 都江堰 大熊猫基地 欢乐谷 主题乐园"
    ).split()
)
CARS = ("一辆七座商务车", "一辆SUV", "一辆新能源轿车", "一辆经济型轿车", "一辆越野车", "一辆九座商务车", "一辆豪华轿车")
COLLEAGUE_ROLES = tuple(
    ("值班主管 驻场同事 酒店前台 地服 导游 领队 司机师傅 组长 技术同事 财务同事 质检同事 供应商对接人").split()
)
PARTNERS = ("合作酒店", "供应商", "地接社", "驻场同事", "当地的合作伙伴", "酒店礼宾部", "机场服务台")
GIFTS = (
    "一份热腾腾的晚餐",
    "一束鲜花",
    "一个生日蛋糕",
    "儿童餐具和小玩具",
    "一张免费的接机券",
    "一份当地地图和美食攻略",
    "一壶热姜茶",
    "一张手写的祝福卡片",
    "几包暖宝宝",
    "一份水果拼盘",
    "一个婴儿澡盆",
)
IMPROVEMENTS = (
    "系统里增加特殊旅客标识",
    "航班取消时自动推送改签选项",
    "退款进度可以在订单页直接查看",
    "夜间增加一名驻场协调人员",
    "发票信息在下单时就做校验",
    "供应商满房时提前预警",
    "老年旅客订单自动提醒人工回访",
    "把常见问题的话术写进知识库",
    "押金退还超时自动提醒",
    "门票改期规则在下单页写清楚",
)
GOOD_OUTCOMES = tuple(
    ("免收改签费 全额退款 免费升级房型 保留原价 延期一年使用 补偿一张优惠券 免收退票费 差价由供应商承担").split()
)
QUOTES = (
    "隔着电话都能感觉到你们的用心",
    "这是我遇到过最靠谱的客服",
    "你们把我当家人一样照顾",
    "本来想投诉，最后却想表扬",
    "遇到问题不慌了，因为知道有人在",
    "出门在外，有你们真好",
    "一个电话就解决了，太省心了",
)
BANNER_TEXTS = ("真诚服务 温暖人心", "急客户之所急", "服务一流 情暖旅途", "热心服务 排忧解难", "千里之外 贴心守护")
HOURS = ("一个多小时", "两个小时", "两个多小时", "三个小时", "快四个小时", "五个多小时", "大半天")
MINUTES = ("十分钟", "十五分钟", "二十分钟", "半个小时", "四十分钟", "不到十分钟")
DAYS = ("两天", "三天", "一周", "五天", "十来天", "半个月")
PERIODS = ("深夜", "凌晨", "周末", "春节期间", "国庆假期", "清晨", "午夜", "暑假", "五一假期", "除夕夜")
ENDINGS = ("一封表扬信", "一面锦旗", "五星好评", "一声谢谢", "安心出行", "顺利回家", "满意而归")


def _clock(rng: random.Random) -> str:
    hour = rng.randrange(24)
    minute = rng.choice((0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 0, 30))
    if hour < 5:
        period, shown = "凌晨", hour
    elif hour < 9:
        period, shown = "早上", hour
    elif hour < 12:
        period, shown = "上午", hour
    elif hour < 13:
        period, shown = "中午", hour
    elif hour < 18:
        period, shown = "下午", hour - 12
    else:
        period, shown = "晚上", hour - 12
    return f"{period}{shown}点" + (f"{minute}分" if minute else "")


def _airport(city: str, rng: random.Random) -> str:
    airports = DOMESTIC_AIRPORTS.get(city) or ABROAD_AIRPORTS.get(city) or (f"{city}机场",)
    name = airports[0] if len(airports) == 1 or rng.random() < 0.7 else rng.choice(airports[1:])
    return name if name.startswith(city) else f"{city}{name}"


def _other_city(rng: random.Random, avoid: str) -> str:
    while True:
        city = rng.choice(BIG_CITIES) if rng.random() < 0.5 else rng.choice(DOMESTIC_CITIES)
        if city != avoid:
            return city


def _dest(rng: random.Random, slots: dict) -> str:
    if rng.random() < 0.15:
        return rng.choice(ABROAD_CITIES)
    return _other_city(rng, slots["city"])


def _airline(rng: random.Random, flight: str) -> str:
    """Mostly the same airline as the first flight (stories often rebook on the same carrier)."""
    return flight[:2] if rng.random() < 0.7 else rng.choice(AIRLINE_CODES)


def _hotel(rng: random.Random) -> str:
    return rng.choice(HOTEL_SYLLABLES) + rng.choice(HOTEL_SYLLABLES) + rng.choice(HOTEL_KINDS)


def _colleague(rng: random.Random) -> str:
    role = rng.choice(COLLEAGUE_ROLES)
    surname = rng.choice(SURNAMES[:60])
    suffix = rng.choice(("姐", "哥", "老师", ""))
    return f"{role}{surname}{suffix}" if suffix else f"{role}小{surname}"


# Slot name -> how to fill it. Each slot is filled the first time a template uses it and then
# keeps its value for the whole case, so a story talks about one city, one flight, one hotel.
SLOT_MAKERS: dict[str, Callable[[random.Random, dict], str]] = {
    "surname": lambda rng, s: rng.choice(SURNAMES),
    "city": lambda rng, s: rng.choice(BIG_CITIES) if rng.random() < 0.55 else rng.choice(DOMESTIC_CITIES),
    "dest": _dest,
    "abroad": lambda rng, s: rng.choice(ABROAD_CITIES),
    "airport": lambda rng, s: _airport(s["city"], rng),
    "dest_airport": lambda rng, s: _airport(s["dest"], rng),
    "flight": lambda rng, s: f"{rng.choice(AIRLINE_CODES)}{rng.randint(101, 9899)}",
    "flight2": lambda rng, s: f"{_airline(rng, s['flight'])}{rng.randint(101, 9899)}",
    "train": lambda rng, s: f"{rng.choice(TRAIN_LETTERS)}{rng.randint(1, 2999)}",
    "train2": lambda rng, s: f"{rng.choice(TRAIN_LETTERS)}{rng.randint(1, 2999)}",
    "station": lambda rng, s: s["city"] + rng.choice(STATION_SUFFIXES),
    "dest_station": lambda rng, s: _other_city(rng, s["city"]) + rng.choice(STATION_SUFFIXES),
    "hotel": lambda rng, s: _hotel(rng),
    "hotel2": lambda rng, s: _hotel(rng),
    "time": lambda rng, s: _clock(rng),
    "time2": lambda rng, s: _clock(rng),
    "hours": lambda rng, s: rng.choice(HOURS),
    "minutes": lambda rng, s: rng.choice(MINUTES),
    "days": lambda rng, s: rng.choice(DAYS),
    "amount": lambda rng, s: str(rng.randint(30, 980) * 10),
    "amount2": lambda rng, s: str(rng.randint(5, 120) * 10),
    "room": lambda rng, s: f"{rng.randint(2, 28)}{rng.randint(1, 40):02d}",
    "item": lambda rng, s: rng.choice(ITEMS),
    "colleague": lambda rng, s: _colleague(rng),
    "weather": lambda rng, s: rng.choice(WEATHER),
    "landmark": lambda rng, s: rng.choice(LANDMARKS),
    "car": lambda rng, s: rng.choice(CARS),
    "country": lambda rng, s: rng.choice(COUNTRIES),
    "partner": lambda rng, s: rng.choice(PARTNERS),
    "gift": lambda rng, s: rng.choice(GIFTS),
    "improve": lambda rng, s: rng.choice(IMPROVEMENTS),
    "good": lambda rng, s: rng.choice(GOOD_OUTCOMES),
    "quote": lambda rng, s: rng.choice(QUOTES),
    "banner_text": lambda rng, s: rng.choice(BANNER_TEXTS),
    "period": lambda rng, s: rng.choice(PERIODS),
    "ending": lambda rng, s: rng.choice(ENDINGS),
    "calls": lambda rng, s: str(rng.randint(8, 40)),
    "age": lambda rng, s: str(rng.randint(66, 89)),
    "months": lambda rng, s: rng.choice("五六七八"),
    "baby_age": lambda rng, s: rng.choice(("八个月大的", "一岁多的", "刚满半岁的", "两岁的", "十个月大的")),
    "family_n": lambda rng, s: rng.choice("三三四四五六"),
    "group_n": lambda rng, s: str(rng.randint(8, 46)),
    "foreign_name": lambda rng, s: rng.choice(FOREIGN_NAMES),
    "count": lambda rng, s: rng.choice(("两", "三", "四", "五")),
}


class Slots(dict):
    """Template values of one case, made on first use (``str.format_map`` calls ``__missing__``)."""

    def __init__(self, rng: random.Random, **preset: str) -> None:
        super().__init__(preset)
        self.rng = rng

    def __missing__(self, key: str) -> str:
        value = SLOT_MAKERS[key](self.rng, self)
        self[key] = value
        return value


# ---------------------------------------------------------------------------------------------
# Customers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerType:
    who: tuple[str, ...]  # how the story introduces the customer
    short: tuple[str, ...]  # short label for titles
    call: tuple[tuple[str, str], ...]  # (how the agent calls them, pronoun)
    needs: tuple[str, ...]  # sentences about their particular situation
    weight: int


HE, SHE = "他", "她"
ADULT_CALLS = (("{surname}先生", HE), ("{surname}女士", SHE), ("{surname}小姐", SHE), ("{surname}先生", HE))

CUSTOMER_TYPES = (
    CustomerType(
        who=("一位{guest}", "一位老客户", "一位常在我们这里订票的客人", "一位年轻的客人", "客人{guest}"),
        short=("客人", "旅客", "老客户"),
        call=ADULT_CALLS,
        needs=(
            "{ta}说这趟行程提前两个月就订好了，没想到会出这样的状况。",
            "{ta}是第一次在我们这里下单，心里本来就有点不放心。",
            "{ta}之前已经在网上查了很多信息，越查越乱。",
        ),
        weight=20,
    ),
    CustomerType(
        who=("一位出差的商务客人", "一位赶着去开会的{surname}总", "一位常旅客{surname}先生", "一位做外贸的客人"),
        short=("商务客人", "出差客人", "常旅客"),
        call=(("{surname}总", HE), ("{surname}先生", HE), ("{surname}总", SHE), ("{surname}女士", SHE)),
        needs=(
            "{ta}第二天上午在{dest}有个重要的会，不能耽误。",
            "{ta}说这次是去签合同，晚到一天损失就大了。",
            "{ta}需要拿到行程单和发票回公司报销。",
            "{ta}一年要飞七八十趟，对时间特别敏感。",
        ),
        weight=14,
    ),
    CustomerType(
        who=("一位{age}岁的老人", "一对七十多岁的老夫妻", "一位独自出行的老人", "一位年过八旬的长者"),
        short=("老人", "长者", "老年旅客", "老人家", "独行老人"),
        call=(("{surname}大爷", HE), ("{surname}阿姨", SHE), ("{surname}奶奶", SHE), ("{surname}爷爷", HE)),
        needs=(
            "老人不太会用智能手机，很多操作都要一步一步教。",
            "{ta}耳朵不太好，我说话时特意放慢了语速、提高了音量。",
            "{ta}有高血压，随身带着降压药，不能太劳累。",
            "子女都在外地，{ta}这次是一个人出门。",
            "{ta}腿脚不方便，走远一点的路就要歇一歇。",
        ),
        weight=12,
    ),
    CustomerType(
        who=("一位怀孕{months}个月的孕妇", "一位孕妈妈", "一位陪怀孕妻子出行的先生"),
        short=("孕妇", "孕妈妈", "准妈妈"),
        call=(("{surname}女士", SHE), ("{surname}太太", SHE)),
        needs=(
            "{ta}怀孕{months}个月了，不能久站，也不能太累。",
            "医生叮嘱{ta}要多休息，不能长时间坐车。",
            "{ta}说肚子有点不舒服，最怕的就是在路上折腾。",
        ),
        weight=5,
    ),
    CustomerType(
        who=("一位带着{baby_age}宝宝的妈妈", "一位独自带两个孩子出行的妈妈", "一位抱着宝宝的年轻妈妈"),
        short=("带宝宝的妈妈", "宝妈", "带娃妈妈", "年轻妈妈"),
        call=(("{surname}女士", SHE), ("宝妈{surname}女士", SHE)),
        needs=(
            "宝宝还在吃奶，随身带的奶粉只够一顿了。",
            "孩子一直在哭，{ta}一手抱着孩子一手拿着手机。",
            "{ta}需要一张婴儿床，还想要一间安静的房间。",
            "孩子有点发烧，{ta}急得声音都在发抖。",
        ),
        weight=8,
    ),
    CustomerType(
        who=("一家{family_n}口", "带着孩子出游的{guest}一家", "一个三代同行的大家庭"),
        short=("一家人", "亲子家庭", "全家", "三代同游的一家"),
        call=(("{surname}先生", HE), ("{surname}女士", SHE)),
        needs=(
            "孩子第二天还要上学，一家人必须赶回去。",
            "这是一家人攒了很久的假期，孩子盼了好几个月。",
            "家里有老人也有孩子，行程稍一变动就很难安排。",
        ),
        weight=8,
    ),
    CustomerType(
        who=("一位第一次独自出远门的大学生", "一位去{abroad}留学的学生", "一位刚考完试的高三学生"),
        short=("学生", "大学生", "留学生"),
        call=(("{surname}同学", HE), ("{surname}同学", SHE), ("小{surname}", HE), ("小{surname}", SHE)),
        needs=(
            "{ta}预算有限，生活费不多，多花一分钱都心疼。",
            "{ta}第一次一个人出门，遇到事情有点慌。",
            "{ta}说开学报到的日子不能错过。",
        ),
        weight=7,
    ),
    CustomerType(
        who=("一位来自{country}的外籍旅客", "一位只会说英语的外国客人", "一位在{city}工作的{country}客人"),
        short=("外籍旅客", "外国客人", "外籍客人"),
        call=(("{foreign_name}先生", HE), ("{foreign_name}女士", SHE)),
        needs=(
            "{ta}中文不太好，我们交流时中英文夹杂着来。",
            "{ta}对国内的流程不熟悉，一直担心错过什么手续。",
            "{ta}说这是第一次来中国，很多事情都不知道该找谁。",
        ),
        weight=5,
    ),
    CustomerType(
        who=("一位坐轮椅的旅客", "一位视力不好的旅客", "一位腿部受伤刚做完手术的客人", "一位行动不便的残障旅客"),
        short=("残障旅客", "轮椅旅客", "行动不便的客人"),
        call=(("{surname}先生", HE), ("{surname}女士", SHE)),
        needs=(
            "{ta}行动不便，上下车都需要有人协助。",
            "{ta}需要无障碍设施，普通房间进出都很困难。",
            "{ta}说每次出门最担心的就是中途没人帮忙。",
        ),
        weight=4,
    ),
    CustomerType(
        who=("一位赶去医院看望父亲的客人", "一位刚出院的病人家属", "一位要去外地复诊的客人"),
        short=("病人家属", "赶去探病的客人", "复诊客人"),
        call=ADULT_CALLS,
        needs=(
            "{ta}的父亲在{dest}住院，情况不太好，{ta}急着赶过去。",
            "{ta}约好了医院的专家号，错过了就要再等一个月。",
        ),
        weight=4,
    ),
    CustomerType(
        who=("一位情绪激动的客人", "一位已经投诉过两次的客人", "一位说话很冲的客人"),
        short=("投诉客人", "情绪激动的客人", "生气的客人"),
        call=ADULT_CALLS,
        needs=(
            "{ta}一开口就说要投诉，前面已经打过两次电话了。",
            "{ta}说之前问了好几个人，每个人说法都不一样。",
            "{ta}觉得自己被敷衍了，语气里全是火气。",
        ),
        weight=6,
    ),
    CustomerType(
        who=("一位带团出行的领队", "一位公司团建的负责人", "一位带着学生研学的老师"),
        short=("团队负责人", "领队", "带队老师"),
        call=(("{surname}老师", HE), ("{surname}老师", SHE), ("{surname}经理", HE), ("{surname}经理", SHE)),
        needs=(
            "{ta}一共带了{group_n}个人，任何变动都要重新通知每一个人。",
            "团里有好几位老人，{ta}最担心大家在路上等太久。",
        ),
        weight=3,
    ),
)
FOREIGN_TYPE = CUSTOMER_TYPES[7]

# ---------------------------------------------------------------------------------------------
# Scenarios per business line
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    topics: tuple[str, ...]  # title phrases: what happened
    fixes: tuple[str, ...]  # title phrases: what we did (start with a verb)
    situation: tuple[str, ...]
    actions: tuple[str, ...]  # each starts with 我, so that 第一步 / 接着 can precede it
    results: tuple[str, ...]


FLIGHT = (
    Scenario(
        topics=("航班取消", "{weather}天气航班取消", "凌晨航班取消", "{weather}导致航班取消", "{city}航班大面积取消"),
        fixes=("连夜改签并安排住宿", "改签到次日早班", "同行人改签同一航班", "一小时内完成改签", "改签加住宿一次办好"),
        situation=(
            "原定{time}从{city}飞{dest}的{flight}因{weather}天气取消，航司柜台前排起了长队。",
            "{guest}说机场广播通知{flight}取消了，可第二天一早{ta}在{dest}还有很重要的事。",
            "当晚{city}{weather}，{airport}大面积取消航班，{guest}的{flight}也在其中。",
            "{ta}在{airport}已经等了{hours}，手机电量只剩不到百分之二十。",
        ),
        actions=(
            "我先查到次日{time2}同航司飞{dest}的{flight2}还有座位，按非自愿改签免费帮{ta}改了过去。",
            "我联系了{airport}附近的{hotel}，确认还有空房后帮{ta}订好，并请酒店安排接驳车。",
            "我把新的航班号、登机时间和酒店地址整理成一条消息发给{ta}，又在电话里逐条念了一遍。",
            "我和航司沟通后，帮{ta}签转到其他航司的{flight2}，不用额外补差价。",
            "我请{airport}的驻场同事到柜台找到{guest}，当面帮{ta}办好了改签手续。",
        ),
        results=(
            "第二天{time2}，{guest}顺利登机，平安到了{dest}。",
            "{guest}说本以为要在机场坐一夜，没想到{minutes}就把改签和住宿都安排好了。",
            "{ta}落地{dest}后特意发来消息：“谢谢你们，一路上心里特别踏实。”",
        ),
    ),
    Scenario(
        topics=("航班延误", "航班延误{hours}", "深夜航班延误", "延误误了转机", "{weather}航班延误"),
        fixes=("改签衔接航班", "争取延误补偿", "安排休息室等候", "保住了后段行程"),
        situation=(
            "{guest}乘坐的{flight}因{weather}延误，预计起飞时间一推再推，已经晚了{hours}。",
            "{ta}在{dest_airport}还要转{flight2}，照现在的延误时间肯定赶不上了。",
            "航司只给了一个“待定”的起飞时间，{guest}在登机口来回踱步，不知道该不该改签。",
            "{guest}说候机厅里人越来越多，连个坐的地方都没有。",
        ),
        actions=(
            "我先帮{ta}查了{flight}前序航班的实时动态，判断至少还要再延误一个多小时。",
            "我把{ta}的后段航班{flight2}改到了晚一班，两段之间留出了足够的衔接时间。",
            "我帮{ta}在{airport}申请了休息室，让{ta}能坐下来喝口热水、给手机充电。",
            "我联系航司确认延误原因和补偿标准，按规定帮{ta}提交了延误补偿申请。",
            "我每隔半个小时刷新一次航班动态，有变化就第一时间发消息告诉{ta}。",
        ),
        results=(
            "{flight}最终在{time2}起飞，{guest}顺利赶上了改好的衔接航班。",
            "几天后延误补偿{amount2}元到账，{ta}说没想到还有这笔钱。",
            "{guest}说虽然延误了，但全程心里有数，一点都不慌。",
        ),
    ),
    Scenario(
        topics=("航班时刻变更", "航变误了衔接", "航司临时调整时刻", "航班提前起飞"),
        fixes=("免费改签同日航班", "重新衔接全程", "争取免费退票", "提前通知避免误机"),
        situation=(
            "航司把{flight}的起飞时间从{time}调整到了{time2}，{guest}一直没注意到航变通知。",
            "这次航变让{guest}在{dest}的衔接时间只剩四十分钟，根本来不及转机。",
            "{guest}说自己没有收到任何通知，差一点就误机了。",
        ),
        actions=(
            "我在航变清单里看到{ta}的订单，第一时间主动打电话过去确认{ta}是否知情。",
            "我按航变规则帮{ta}免费改到了同一天的{flight2}，时间比原来还更合适。",
            "我把改签前后两个航班的时间对比写清楚发给{ta}，避免{ta}记混。",
            "我帮{ta}把联程的后段也一起调整了，保证两段航班之间有足够的时间。",
        ),
        results=(
            "{guest}按新时间顺利出行，一点没耽误{dest}的安排。",
            "{ta}说多亏我们提前打了这个电话，不然真要在机场白跑一趟。",
        ),
    ),
    Scenario(
        topics=("值机遇超售", "航班超售", "超售被拒登机", "登机口被告知超售"),
        fixes=("争取到下一班座位", "拿到超售补偿", "安排晚班并升舱", "同行人一起改签成功"),
        situation=(
            "{guest}在{airport}值机时被告知{flight}超售，没有座位了。",
            "{ta}提前两个小时就到了机场，却在柜台被告知只能等下一班。",
            "同行的家人已经拿到了登机牌，只有{guest}一个人被拒登，{ta}急得不行。",
        ),
        actions=(
            "我马上联系航司值机柜台，核实超售情况和可以提供的补偿方案。",
            "我帮{ta}争取到了一个半小时后{flight2}的座位，并确认行李可以直挂。",
            "我把超售补偿的标准一条条讲给{ta}听，让{ta}自己决定是等还是退。",
            "我请航司把{ta}和家人安排在同一航班，避免一家人分开走。",
        ),
        results=(
            "{guest}最终坐上了{flight2}，还拿到了{amount2}元的超售补偿。",
            "{ta}说本来准备在柜台大吵一架，结果一个电话就把事情办妥了。",
        ),
    ),
    Scenario(
        topics=("临时改签", "家中急事改签", "行程有变需改签", "紧急改签"),
        fixes=("十分钟完成改签", "少花了改签费", "改签到最早一班", "找到唯一的余票"),
        situation=(
            "{guest}家里突然有急事，要把原定{date}的{flight}改到当天最早的一班。",
            "{ta}的会议提前了一天，原来订的{flight}已经来不及了。",
            "{ta}在网上自己操作了几次改签都失败了，只好打电话过来。",
        ),
        actions=(
            "我查了当天所有{city}飞{dest}的航班，找到{time2}的{flight2}还剩最后两个座位。",
            "我对比了改签和退票重买两种方案的费用，发现改签能帮{ta}省下{amount2}元。",
            "我一边跟{ta}确认乘机人信息，一边在系统里锁定座位，怕座位被别人订走。",
            "我把改签后的行程单重新发给{ta}，并提醒{ta}提前九十分钟到机场。",
        ),
        results=(
            "改签成功后不到三个小时，{guest}就已经坐上了飞往{dest}的航班。",
            "{ta}说这是{ta}改签最快的一次，前后不到{minutes}。",
        ),
    ),
    Scenario(
        topics=("因病退票", "机票退款", "退票费争议", "退票迟迟未到账"),
        fixes=("争取全额退款", "免收退票费", "退款三天到账", "说服航司特殊处理"),
        situation=(
            "{guest}因为突发疾病住院，没法按原计划乘坐{flight}，想退票。",
            "{ta}说退票申请提交了{days}，退款{amount}元一直没有到账。",
            "按照票价规则，{ta}这张特价票要收不少的退票费，{ta}觉得难以接受。",
        ),
        actions=(
            "我告诉{ta}因病退票可以申请免收退票费，只需要补一份医院的诊断证明。",
            "我查到退款卡在航司审核环节，马上联系航司加急处理。",
            "我帮{ta}整理好需要提交的材料清单，拍照上传就可以，不用跑腿。",
            "我把退款的流转环节和预计到账时间讲清楚，并约定到账当天再联系{ta}。",
        ),
        results=(
            "三天后{amount}元全额退回了{ta}的原支付账户。",
            "{guest}说原本已经做好被扣一大笔钱的准备，没想到能全额退。",
        ),
    ),
    Scenario(
        topics=("行李丢失", "托运行李破损", "行李未到达", "转机行李滞留"),
        fixes=("两天找回行李", "争取到行李赔偿", "送行李上门", "买齐应急用品"),
        situation=(
            "{guest}在{dest_airport}等了很久，转盘上一直没有{ta}的行李。",
            "{ta}的行李箱里有{item}，明天就要用，急得团团转。",
            "{ta}取行李时发现箱子的轮子断了一个，外壳也裂开了。",
        ),
        actions=(
            "我先教{ta}在到达厅的行李查询柜台登记，拿到了行李查询单。",
            "我联系航司行李部门，查到行李被错运到了{abroad}，正在安排回运。",
            "我帮{ta}确认了航司的临时生活用品补偿标准，让{ta}先把必需品买上。",
            "我协调航司把找回的行李直接送到{ta}入住的{hotel}。",
        ),
        results=(
            "第二天{time2}，行李送到了{ta}的房间，里面的{item}完好无损。",
            "航司按规定赔偿了{amount2}元，{guest}对处理结果很满意。",
        ),
    ),
    Scenario(
        topics=("婴儿票漏买", "婴儿票无法值机", "无陪儿童乘机", "儿童票出票失败"),
        fixes=("补买婴儿票顺利登机", "办好无陪儿童服务", "全程跟进孩子落地", "赶在值机截止前出票"),
        situation=(
            "{guest}到了{airport}才发现，订票时没有给宝宝买婴儿票，柜台说没法值机。",
            "{ta}要让{age}岁的孩子一个人飞去{dest}找爷爷奶奶，不知道怎么办无陪儿童手续。",
            "离值机截止只剩下四十分钟，{guest}抱着孩子站在柜台前干着急。",
        ),
        actions=(
            "我马上给{ta}的订单补买了婴儿票，并联系航司加急出票。",
            "我帮{ta}申请了无陪儿童服务，确认了交接人和接机人的信息。",
            "我请航司在航班上给{ta}安排了可以放婴儿摇篮的座位。",
            "我一直在线上等着，直到柜台确认出票成功才放心。",
        ),
        results=(
            "{guest}和宝宝赶在值机截止前拿到了登机牌。",
            "孩子平安落地{dest}，接机的家人在出口接到了他，还给我们回了电话报平安。",
        ),
    ),
    Scenario(
        topics=("机票姓名有误", "乘机人名字拼错", "证件信息不符", "英文名拼写错误"),
        fixes=("免费更正姓名", "出发前改好信息", "协调航司更正信息", "赶在起飞前解决"),
        situation=(
            "{guest}在值机时被告知机票上的名字和证件不一致，不能登机。",
            "{ta}订国际航班时把英文名的拼写弄错了一个字母，第二天就要飞{abroad}。",
            "{ta}帮家人订的票，把乘机人的名字写成了同音字。",
        ),
        actions=(
            "我查了航司的规定，这种拼写错误可以申请更正，不用退票重买。",
            "我联系航司提交了更正申请，把需要的材料一项项说清楚。",
            "我一直跟航司保持沟通，直到系统里显示姓名更正完成。",
        ),
        results=(
            "信息更正后，{guest}顺利办好了值机，按时登机。",
            "{ta}说本来以为要重新买一张票，没想到一分钱都没多花。",
        ),
    ),
)

HOTEL = (
    Scenario(
        topics=("酒店超售", "到店无房", "酒店超售无房可住", "深夜到店没有房"),
        fixes=("安排同级酒店并免差价", "免费升级入住", "连夜找到替代酒店", "协调酒店补偿"),
        situation=(
            "{guest}{time}到了{city}的{hotel}，前台说房间超售了，没有房。",
            "{ta}带着行李站在大堂里，外面下着雨，附近的酒店也都满了。",
            "{ta}的订单显示已确认，可酒店说系统里根本找不到这个预订。",
        ),
        actions=(
            "我先联系{hotel}的值班经理，要求酒店负责安排同级或更高级别的替代酒店。",
            "我找到步行五分钟外的{hotel2}还有一间房，差价由原酒店承担。",
            "我安排车辆把{ta}送到新酒店，车费也由酒店承担。",
            "我在订单上做了备注，保证{ta}第二天还能换回原酒店入住。",
        ),
        results=(
            "{guest}当晚就住进了{hotel2}，房型还比原来订的大。",
            "{ta}说原本以为要在大堂坐一夜，没想到{minutes}就解决了。",
        ),
    ),
    Scenario(
        topics=("节假日满房", "旺季订不到房", "临时加订满房", "演唱会期间满房"),
        fixes=("找到最后一间房", "协调酒店加床", "在附近找到合适住处", "锁定刚释放的房间"),
        situation=(
            "{period}的{city}房源特别紧张，{guest}要临时加订一晚，可原来的酒店已经满房了。",
            "{ta}说附近有演唱会，周边的酒店几乎都订满了。",
            "{ta}在网上看到的几家都显示满房，带着孩子不知道去哪住。",
        ),
        actions=(
            "我打给{hotel}的前台，得知有一位客人刚刚取消，马上帮{ta}锁定了这间房。",
            "我把周边三公里内还有房的酒店按价格和距离列了一张表发给{ta}。",
            "我联系酒店为{ta}加了一张床，一家人住一间就够了。",
        ),
        results=(
            "{guest}住进了房间，说这是整个区域最后一间房。",
            "{ta}一家人第二天按计划去了{landmark}，玩得很开心。",
        ),
    ),
    Scenario(
        topics=("入住遇阻", "前台查不到订单", "预付房费未到账", "无法办理入住"),
        fixes=("十分钟办好入住", "协调酒店先入住后核对", "当场核实订单", "顺利办好入住"),
        situation=(
            "{guest}到了{hotel}前台，前台说查不到{ta}的订单。",
            "酒店说预付的{amount}元房费还没有到账，要求{ta}再付一次。",
            "{ta}赶了一天的路，只想赶紧进房间休息。",
        ),
        actions=(
            "我把订单确认信息直接发给酒店的预订部，请他们核对。",
            "我和酒店确认房费由我们担保，请前台先给{ta}办理入住。",
            "我联系供应商查明是系统同步延迟，当场补推了订单。",
        ),
        results=(
            "{guest}顺利入住了{room}房，没有多付一分钱。",
            "{ta}说本来累得不想说话，挂电话的时候心情已经好多了。",
        ),
    ),
    Scenario(
        topics=("提前离店退款", "退房费用争议", "提前退房", "房费多扣"),
        fixes=("争取到未住房费退款", "退回多扣的房费", "协调酒店免收违约金", "退款当天到账"),
        situation=(
            "{guest}原本订了{days}，因为工作变动需要提前离店，酒店说剩下的房费不能退。",
            "{ta}退房时发现账单上多扣了{amount2}元的迷你吧费用，可{ta}根本没用过。",
            "{ta}订的是不可取消的房型，但家里临时出了事。",
        ),
        actions=(
            "我联系酒店说明{ta}的情况，请酒店把剩下的房间重新放回销售。",
            "我请酒店查看房间的消费记录，核实迷你吧确实没有动过。",
            "我向{colleague}申请了特殊处理，由我们先行垫付部分退款。",
        ),
        results=(
            "酒店同意退回未住的房费{amount}元，三天内退回原支付账户。",
            "多扣的{amount2}元当天就退了回来，酒店还专门道了歉。",
        ),
    ),
    Scenario(
        topics=("遗留物品", "{item}落在酒店", "退房后发现东西忘带", "房间遗失物品"),
        fixes=("寄回{item}", "当天找回遗留物品", "协调酒店快递到家", "赶在登机前送到机场"),
        situation=(
            "{guest}退房去了机场，才发现{item}落在了{hotel}的房间里。",
            "{ta}说{item}对{ta}特别重要，是家人送的礼物。",
            "{ta}的航班{time2}就要起飞，已经来不及回酒店取了。",
        ),
        actions=(
            "我马上打给{hotel}的客房部，请他们去{room}房查找。",
            "确认找到后，我和酒店商量好用快递寄到{ta}家里，运费由我们先承担。",
            "我请酒店安排人把{item}送到{airport}，赶在{ta}安检前交到{ta}手上。",
        ),
        results=(
            "{item}第二天就寄到了{guest}家里，包装得很仔细。",
            "{ta}在安检口拿到了{item}，连说了好几遍谢谢。",
        ),
    ),
    Scenario(
        topics=("发票开错", "报销发票难开", "发票抬头有误", "补开住宿发票"),
        fixes=("三天内补开发票", "协调酒店重开发票", "赶上月底报销", "一次讲清开票规则"),
        situation=(
            "{guest}出差住了{days}，回公司报销时发现酒店开的发票抬头写错了。",
            "{ta}说财务要求必须是专票，酒店却只开了普票。",
            "{ta}月底前就要交报销材料，时间很紧。",
        ),
        actions=(
            "我联系酒店财务，确认原发票可以作废重开。",
            "我把正确的开票信息整理好发给酒店，请他们再核对一遍。",
            "我跟{ta}说明了专票和普票的区别，以及这次能开的类型。",
        ),
        results=(
            "新的发票三天后就寄到了{ta}的公司，赶上了月底报销。",
            "{ta}说以后出差订酒店都找我们，省心。",
        ),
    ),
    Scenario(
        topics=("房间噪音难入睡", "空调故障", "房间卫生问题", "房间设施损坏"),
        fixes=("免费换房并升级", "协调维修后补偿", "连夜换到安静房间", "争取到房费减免"),
        situation=(
            "{guest}入住{hotel}后发现房间的空调坏了，半夜热得睡不着。",
            "{ta}住的{room}房挨着电梯间，吵得一整晚没睡好。",
            "{ta}说房间里有一股霉味，孩子一进去就咳嗽。",
        ),
        actions=(
            "我马上联系酒店的值班经理，要求立刻安排换房。",
            "我请酒店把{ta}换到了高楼层远离电梯的房间，并免费升级了房型。",
            "我替{ta}争取了当晚的房费减免，酒店还送了一份早餐。",
        ),
        results=(
            "{guest}换房后睡了个好觉，第二天早上专门回消息说谢谢。",
            "酒店后来对那间房做了检修，{ta}说下次还住这家。",
        ),
    ),
)

VACATION = (
    Scenario(
        topics=("签证迟迟未出", "签证材料被退回", "出发前签证告急", "签证加急"),
        fixes=("赶在出发前出签", "补齐材料一次通过", "协调加急办理", "保住了全家的行程"),
        situation=(
            "{guest}报名了去{abroad}的旅行，离出发只剩{days}，签证还没出来。",
            "领馆把{ta}的签证材料退了回来，说缺了一份在职证明。",
            "{ta}第一次办签证，看了一堆材料清单还是不明白。",
        ),
        actions=(
            "我帮{ta}逐项核对了材料清单，把缺的那份证明用红字标出来。",
            "我联系签证中心的同事，确认补交材料后可以走加急通道。",
            "我把签证进度每天同步给{ta}，让{ta}心里有底。",
        ),
        results=(
            "出发前两天，{guest}的签证终于出来了，全家按计划去了{abroad}。",
            "{ta}说下次出国还找我们办签证。",
        ),
    ),
    Scenario(
        topics=("跟团游行程变动", "旅行团行程临时调整", "导游联系不上", "跟团游团员走散"),
        fixes=("协调地接社调整行程", "两小时内找到走散的团员", "争取到差价补偿", "重新安排全团住宿"),
        situation=(
            "{guest}参加的跟团游在{city}临时取消了一个景点，导游没有给任何说明。",
            "团里有一位团员在{landmark}和大家走散了，手机也打不通。",
            "{ta}说这几天导游总是带大家去购物店，和行程单上写的不一样。",
        ),
        actions=(
            "我联系地接社核实情况，要求按合同补上景点或退还差价。",
            "我请导游和{landmark}的工作人员一起找人，同时把走散团员的衣着特征发给了景区广播。",
            "我把合同里的行程条款找出来，一条条和地接社核对。",
        ),
        results=(
            "地接社补上了取消的景点，还退还了{amount2}元的差价。",
            "走散的团员在景区游客中心被找到，团里的人都松了一口气。",
        ),
    ),
    Scenario(
        topics=("海岛游遇{weather}", "度假行程被打乱", "{weather}预警行程取消", "出境游航班停飞"),
        fixes=("免费调整全部行程", "一揽子改签酒店和机票", "协调延住不加钱", "保住了一家人的假期"),
        situation=(
            "{guest}一家在{abroad}度假，当地突然发布{weather}预警，返程航班全部停飞。",
            "{ta}订的是机票加酒店的打包产品，航班一变，酒店和接送都要跟着变。",
            "{ta}说孩子的假期快结束了，必须尽快回国。",
        ),
        actions=(
            "我把机票、酒店、接送三个环节列成清单，一项一项去协调。",
            "我联系酒店为{ta}一家延住两晚，按原价结算不加钱。",
            "我帮{ta}改签到天气好转后的第一个航班，并重新约好了送机车辆。",
        ),
        results=(
            "{weather}过后，{guest}一家坐上了第一班回国的航班。",
            "{ta}说这次出游虽然有波折，但全程都被照顾得很好。",
        ),
    ),
    Scenario(
        topics=("境外就医求助", "旅途中突发疾病", "出境游意外受伤", "海外游客急病"),
        fixes=("连夜联系当地医院", "协调保险直付", "全程陪同翻译", "安排就医后回国"),
        situation=(
            "{guest}在{abroad}旅游时突然高烧不退，语言不通，不知道该去哪家医院。",
            "{ta}的家人在{landmark}游玩时摔伤了脚，需要马上就医。",
            "{ta}带的药吃完了，当地药店买不到同样的药。",
        ),
        actions=(
            "我联系当地的合作伙伴，找到一家有中文服务的医院。",
            "我帮{ta}启动了旅行保险的紧急救援服务，医疗费用由保险公司直付。",
            "我安排当地导游陪同{ta}去医院，帮忙翻译和办手续。",
        ),
        results=(
            "经过治疗，{guest}的情况稳定下来，按原计划回了国。",
            "保险公司直接结算了医疗费用，{ta}几乎没有自己垫钱。",
        ),
    ),
    Scenario(
        topics=("境外证件遗失", "出境游护照丢失", "旅行中证件被盗", "回国前证件丢失"),
        fixes=("协助补办旅行证件", "赶在回程前办好证件", "改签回程不加钱", "联系使馆加急处理"),
        situation=(
            "{guest}在{abroad}旅游时，随身的包被偷了，护照也在里面。",
            "{ta}两天后就要回国，没有证件根本上不了飞机。",
            "{ta}人生地不熟，连去哪里报案都不知道。",
        ),
        actions=(
            "我先告诉{ta}去最近的警察局报案，拿到报案证明。",
            "我帮{ta}查好了使领馆的地址和办理旅行证需要的材料。",
            "我把{ta}的回程航班改签到了证件办好之后，免收了改签费。",
        ),
        results=(
            "{guest}拿到了旅行证，按新的航班平安回了国。",
            "{ta}说在国外最无助的时候，是我们的电话让{ta}安下心来。",
        ),
    ),
    Scenario(
        topics=("邮轮行程取消", "邮轮停靠港变更", "邮轮出发延迟", "邮轮船票退改"),
        fixes=("争取全额退款", "改到下个航次", "协调免费改签", "重新安排行程"),
        situation=(
            "{guest}报名的邮轮因{weather}取消了一个停靠港，{ta}觉得行程缩水了。",
            "{ta}一家{family_n}口原本计划乘邮轮过春节，船期却突然推迟了。",
            "{ta}想把邮轮改到下个航次，但不清楚要收多少费用。",
        ),
        actions=(
            "我联系邮轮公司确认了补偿方案，把可选项列给{ta}。",
            "我帮{ta}免费改到了下一个航次，房型保持不变。",
            "我算清楚了退款和改期两种方案的费用，让{ta}自己选。",
        ),
        results=(
            "{guest}选择了改期，下个航次全家玩得很尽兴。",
            "邮轮公司退回了{amount}元，{ta}对处理结果很满意。",
        ),
    ),
)

TRAIN = (
    Scenario(
        topics=("高铁改签", "临时改签高铁", "错过高铁改签", "高铁停运改签"),
        fixes=("改签到最近一趟车", "免费改签成功", "找到有座的车次", "十分钟内改签完成"),
        situation=(
            "{guest}的{train}从{station}发车，{ta}因为堵车可能赶不上了。",
            "受{weather}影响，{ta}乘坐的{train}临时停运。",
            "{ta}想把车票改到更早的车次，可网上显示都没票了。",
        ),
        actions=(
            "我帮{ta}查到{time2}发车的{train2}还有二等座，马上办理了改签。",
            "我告诉{ta}停运的车票可以免费退改，不用担心手续费。",
            "我把新车次的检票口和发车时间发给{ta}，提醒{ta}留足进站时间。",
        ),
        results=(
            "{guest}赶上了{train2}，当晚就到了{dest_station}。",
            "{ta}说自己在进站口都准备放弃了，没想到还能改签成功。",
        ),
    ),
    Scenario(
        topics=("候补购票", "春运候补车票", "节假日抢不到票", "候补一直未兑现"),
        fixes=("候补成功回家", "找到中转方案", "候补兑现车票", "规划出最快的回家路线"),
        situation=(
            "{period}回家的票特别紧张，{guest}候补了好几天都没有成功。",
            "{ta}要从{station}回老家，直达的车次全都没票了。",
            "{ta}问我们有没有办法帮{ta}抢到票。",
        ),
        actions=(
            "我帮{ta}同时提交了几个相邻车次的候补，提高兑现的机会。",
            "我查到可以在{dest_station}中转，两段车票都还有余票。",
            "我把中转的时间和换乘路线画成一张简单的示意图发给{ta}。",
        ),
        results=(
            "候补第二天就兑现了，{guest}如愿回家过了节。",
            "{ta}按中转方案回了家，比原计划只晚了一个小时。",
        ),
    ),
    Scenario(
        topics=("误车", "坐过站", "错过列车", "上错车次"),
        fixes=("协调补票乘车", "免费改签下一班", "联系车站协助", "平安到站"),
        situation=(
            "{guest}在车上睡着了，醒来发现已经坐过了站。",
            "{ta}在{station}候车时走错了检票口，眼看着{train}开走了。",
            "{ta}第一次坐高铁，不清楚误车以后该怎么办。",
        ),
        actions=(
            "我告诉{ta}先找列车员说明情况，在下一站下车后可以免费乘坐返回的车次。",
            "我帮{ta}查好了返回的车次{train2}，并把改签方式讲清楚。",
            "我联系车站的服务台，请工作人员在出站口接应{ta}。",
        ),
        results=(
            "{guest}在工作人员的帮助下顺利坐上了返回的车。",
            "{ta}到站后专门发来一条消息报平安。",
        ),
    ),
    Scenario(
        topics=("火车票退票", "退票手续费争议", "退票款未到账", "不会在手机上退票"),
        fixes=("一步步教会退票", "退款按时到账", "解释清楚退票规则", "少扣了手续费"),
        situation=(
            "{guest}不会在手机上操作退票，{ta}的{train}后天就要发车了。",
            "{ta}说退票已经{days}了，{amount2}元的票款还没到账。",
            "{ta}觉得退票手续费扣得太多，不明白是怎么算的。",
        ),
        actions=(
            "我一步一步教{ta}在手机上操作，{ta}每点一下我就确认一下。",
            "我查到退款已经原路退回，只是银行还在处理，告诉了{ta}预计到账的日期。",
            "我把退票手续费按发车前不同时间段的标准算给{ta}听。",
        ),
        results=(
            "{guest}顺利完成了退票，说终于学会了。",
            "票款第二天就到账了，{ta}专门回电话说谢谢。",
        ),
    ),
    Scenario(
        topics=("学生票核验失败", "儿童票购买", "优惠票资质问题", "学生票无法取票"),
        fixes=("补办优惠资质", "一次讲清儿童票规则", "协调车站取票", "按时坐上车"),
        situation=(
            "{guest}买了学生票，但在取票时被告知优惠资质没有核验通过。",
            "{ta}要带孩子坐高铁，不知道孩子需不需要买票。",
            "离{train}发车只有四十分钟了，{ta}还在售票窗口排队。",
        ),
        actions=(
            "我告诉{ta}先按全价取票上车，回来后补办资质可以退还差价。",
            "我把儿童票的身高和年龄标准讲清楚，让{ta}按孩子的情况选择。",
            "我帮{ta}查好了车站的人工窗口位置，让{ta}少走冤枉路。",
        ),
        results=(
            "{guest}按时坐上了车，后来补办好资质，差价也退了回来。",
            "{ta}说这些规定原来一点都不复杂，是我们讲得清楚。",
        ),
    ),
)

CAR = (
    Scenario(
        topics=("租车半路故障", "自驾途中车辆抛锚", "租车爆胎", "租的车打不着火"),
        fixes=("两小时内换好车", "安排道路救援", "协调免费换车", "继续自驾行程"),
        situation=(
            "{guest}在{city}租了{car}，开到半路仪表盘亮起了故障灯。",
            "{ta}一家在去{landmark}的路上，车子突然爆胎，停在了路边。",
            "{ta}说附近没有修车的地方，手机信号也时有时无。",
        ),
        actions=(
            "我先提醒{ta}打开双闪、放好三角警示牌，所有人站到护栏外面。",
            "我联系租车公司安排了道路救援，并确认了救援车到达的时间。",
            "我协调租车公司在最近的门店给{ta}换了一辆同级别的车。",
        ),
        results=(
            "救援车{minutes}后就到了，{guest}换车后继续了行程。",
            "{ta}说这次租车虽然有插曲，但处理得很快，下次还会选我们。",
        ),
    ),
    Scenario(
        topics=("租车押金未退", "押金迟迟不解冻", "违章押金争议", "押金被多扣"),
        fixes=("押金三天内退回", "核实后退回多扣的押金", "协调门店提前解冻", "一次说清押金规则"),
        situation=(
            "{guest}还车已经一个多月了，{amount}元的押金还没有解冻。",
            "租车公司说有一笔违章要从押金里扣，但{ta}说那天车根本不在那里。",
            "{ta}问了门店好几次，每次都说再等等。",
        ),
        actions=(
            "我联系租车公司核实，发现押金卡在违章查询环节。",
            "我调出了车辆的行驶记录，证明违章发生时车已经还回了门店。",
            "我和门店约定了退还押金的日期，并设置了提醒按时跟进。",
        ),
        results=(
            "押金{amount}元三天后全部解冻，{guest}收到了银行的通知。",
            "租车公司确认违章和{ta}无关，多扣的钱也退了回来。",
        ),
    ),
    Scenario(
        topics=("接送机司机迟到", "接机没接到人", "航班延误后接机", "送机车辆未到"),
        fixes=("十分钟内重新派车", "协调司机等待", "安排新司机接机", "按时赶到机场"),
        situation=(
            "{guest}的航班落地{dest_airport}已经半个小时了，预约的接机司机还没有出现。",
            "{ta}预约了{time2}的送机车，等了二十分钟车还没到，再不走就要误机了。",
            "{ta}带着两个大行李箱和孩子，在到达口等得很着急。",
        ),
        actions=(
            "我联系司机才知道他走错了航站楼，马上把正确的位置和{ta}的外貌特征发给他。",
            "我重新派了一辆离{ta}最近的车，并承担了差价。",
            "我一直和司机、客人三方保持联系，直到{ta}上了车。",
        ),
        results=(
            "新派的车{minutes}后就到了，{guest}按时赶到了机场。",
            "{ta}说司机路上还帮忙搬行李，很贴心。",
        ),
    ),
    Scenario(
        topics=("还车时车辆剐蹭争议", "租车定损争议", "车辆划痕纠纷", "还车被要求赔偿"),
        fixes=("调取记录还原事实", "协调免于赔偿", "争取合理定损", "公正处理争议"),
        situation=(
            "{guest}还车时，门店说车门上有一道划痕，要{ta}赔偿{amount}元。",
            "{ta}说取车时那道划痕就已经在了，只是当时没有拍照。",
            "{ta}觉得门店在故意为难，情绪很激动。",
        ),
        actions=(
            "我调取了取车时门店自己拍的车况照片，发现划痕当时就已经存在。",
            "我把照片发给门店负责人，请他们重新核实。",
            "我提醒{ta}以后取车时绕车一圈拍个视频，保护自己的权益。",
        ),
        results=(
            "门店核实后取消了赔偿要求，并向{guest}道了歉。",
            "{ta}说如果没有我们帮忙找证据，这笔钱就白赔了。",
        ),
    ),
)

ATTRACTION = (
    Scenario(
        topics=("门票改期", "景区门票无法改期", "门票日期订错", "预约门票改日"),
        fixes=("协调景区免费改期", "改到第二天入园", "保住了门票", "重新预约入园"),
        situation=(
            "{guest}订了{landmark}的门票，因为航班延误，当天赶不过去了。",
            "{ta}订票时把日期选错了一天，发现时已经到了景区门口。",
            "景区的规定是门票不能改期，{ta}觉得很可惜。",
        ),
        actions=(
            "我联系{landmark}的票务负责人，说明{ta}是因为航班延误才去不了。",
            "我帮{ta}把门票免费改到了第二天，并重新发了入园凭证。",
            "我查了景区的预约余量，把第二天人少的时段推荐给{ta}。",
        ),
        results=(
            "第二天{guest}一家顺利入园，玩了一整天。",
            "{ta}发来好几张在{landmark}拍的照片，说风景特别好。",
        ),
    ),
    Scenario(
        topics=("索道临时停运", "景区临时关闭", "景区因{weather}闭园", "演出临时取消"),
        fixes=("全额退回门票", "改到天气好转后游览", "协调景区补偿", "调整当天行程"),
        situation=(
            "{guest}到了{landmark}，才知道索道因为{weather}临时停运了。",
            "{ta}提前一个月订好了票，景区却临时发通知闭园。",
            "同行的老人爬不了山，没有索道就只能放弃。",
        ),
        actions=(
            "我联系景区确认停运的原因和恢复时间，把情况如实告诉{ta}。",
            "我帮{ta}申请了索道票的全额退款，不收任何手续费。",
            "我推荐了附近另一个适合老人游玩的景点，并帮{ta}订好了票。",
        ),
        results=(
            "{amount2}元的索道票全额退回，{guest}一家转去了附近的景点。",
            "{ta}说虽然没坐上索道，但这一天也没有白费。",
        ),
    ),
    Scenario(
        topics=("入园凭证未收到", "扫码入园失败", "门票订单异常", "景区闸机无法核验"),
        fixes=("五分钟内补发凭证", "协调景区人工核验", "顺利入园", "当场解决核验问题"),
        situation=(
            "{guest}在{landmark}门口排到了闸机前，却发现没有收到入园凭证。",
            "{ta}扫码时闸机一直提示无效，后面排队的人越来越多。",
            "{ta}带着家人站在门口，孩子已经等得不耐烦了。",
        ),
        actions=(
            "我查到订单已经出票成功，只是短信没有发出去，马上重新推送了凭证。",
            "我联系景区的票务窗口，请工作人员为{ta}人工核验入园。",
            "我一直在线上等着，直到{ta}确认全家都进了园。",
        ),
        results=(
            "{guest}一家五分钟后就进了园，没有耽误预约的时段。",
            "{ta}在对话框里发了一个大大的笑脸。",
        ),
    ),
    Scenario(
        topics=("乐园门票退款", "游乐园限流", "演出门票退改", "乐园项目停运"),
        fixes=("争取到部分退款", "预约到热门项目", "协调换场次", "补偿下次使用"),
        situation=(
            "{guest}带孩子去了{landmark}，最想玩的几个项目都因为维修停运了。",
            "{ta}订的演出票因为演员生病临时换了场次，{ta}第二天就要离开{city}。",
            "园区限流，{ta}排了{hours}还没进去。",
        ),
        actions=(
            "我帮{ta}和园区沟通，争取到了停运项目的部分退款。",
            "我把演出换到了当天晚上的场次，座位还往前调了几排。",
            "我告诉{ta}园区哪几个入口人少，能节省排队时间。",
        ),
        results=(
            "{guest}的孩子玩到了最想玩的项目，一家人开开心心地回了酒店。",
            "{ta}说这次出游比预想的还要顺利。",
        ),
    ),
)

OTHER = (
    Scenario(
        topics=("重复扣款", "支付成功订单却失败", "一笔订单扣了两次钱", "退款金额不对"),
        fixes=("当天退回多扣的钱", "查清扣款原因", "协调财务加急退款", "一次说清退款流程"),
        situation=(
            "{guest}说自己下单时被扣了两次钱，一共{amount}元。",
            "{ta}付款后页面显示订单失败，钱却已经扣了。",
            "{ta}担心是遇到了骗子，急得连话都说不利索。",
        ),
        actions=(
            "我查到支付系统确实重复扣款，马上提交了退款申请。",
            "我联系财务同事加急处理，把预计到账时间告诉{ta}。",
            "我提醒{ta}任何要求转账的电话都不要相信，我们不会这样联系客人。",
        ),
        results=(
            "多扣的{amount}元当天就退了回来，{guest}终于放下心来。",
            "{ta}说以后遇到类似的事，第一时间就找我们。",
        ),
    ),
    Scenario(
        topics=("会员积分清零", "会员权益未到账", "积分兑换失败", "会员等级降级"),
        fixes=("找回过期积分", "补发会员权益", "兑换成功", "解释清楚会员规则"),
        situation=(
            "{guest}发现账户里攒了好几年的积分一下子清零了。",
            "{ta}升级成了高级会员，但承诺的权益一直没有到账。",
            "{ta}想用积分兑换一张酒店券，可一直提示失败。",
        ),
        actions=(
            "我查了积分的有效期规则，发现有一部分积分还可以申请恢复。",
            "我联系会员中心补发了{ta}的会员权益。",
            "我帮{ta}找到了兑换失败的原因，手把手带{ta}重新操作了一遍。",
        ),
        results=(
            "{guest}的积分恢复了大半，{ta}很快就兑换了一张酒店券。",
            "{ta}说原来会员规则里还有这么多门道。",
        ),
    ),
    Scenario(
        topics=("旅行保险理赔", "延误险理赔", "保险理赔材料不全", "理赔迟迟没有结果"),
        fixes=("协助完成理赔", "补齐材料一次通过", "加急跟进理赔", "理赔款按时到账"),
        situation=(
            "{guest}买了航班延误险，可理赔申请提交了{days}还没有结果。",
            "{ta}不知道理赔需要哪些材料，提交了两次都被退回。",
            "{ta}说保险公司的电话一直打不通。",
        ),
        actions=(
            "我帮{ta}整理出理赔需要的材料清单，每一项都写明从哪里获取。",
            "我联系保险公司的对接人，查到是缺少航班延误证明。",
            "我帮{ta}开好了延误证明，直接发给了保险公司。",
        ),
        results=(
            "一周后，{amount2}元的理赔款到了{guest}的账户。",
            "{ta}说要不是我们帮忙，这个理赔{ta}早就放弃了。",
        ),
    ),
    Scenario(
        topics=("多次投诉升级", "要求投诉到底", "投诉电话", "多部门踢皮球"),
        fixes=("一次把问题解决", "安抚情绪后找到症结", "牵头跨部门协调", "把投诉变成表扬"),
        situation=(
            "{guest}因为同一个问题已经打了五次电话，每次都被告知“正在处理”。",
            "{ta}一接通就大声说要投诉到底，要求给个说法。",
            "{ta}的问题涉及机票、酒店两个部门，谁都说不是自己的事。",
        ),
        actions=(
            "我没有急着解释，先让{ta}把委屈都说出来，把每个诉求记下来。",
            "我牵头拉了一个跨部门的处理群，约定当天给出结论。",
            "我把处理方案和时间节点一条条写清楚发给{ta}，每个节点都按时反馈。",
        ),
        results=(
            "问题当天就解决了，{guest}最后反倒主动说了声谢谢。",
            "{ta}说这是这么多次电话里，第一次有人真正把事情扛下来。",
        ),
    ),
)

SCENARIOS = {
    "flight": FLIGHT,
    "hotel": HOTEL,
    "vacation": VACATION,
    "train": TRAIN,
    "car": CAR,
    "attraction": ATTRACTION,
    "other": OTHER,
}
assert set(SCENARIOS) == set(BUSINESS_LINE_CODES)

# ---------------------------------------------------------------------------------------------
# Story parts shared by all scenarios
# ---------------------------------------------------------------------------------------------

OPENERS = {
    "phone": (
        "{time}，{who}打来电话，声音很急。",
        "{time}，我接到{who}的电话。",
        "{time}，客服热线接进来{who}的电话。",
        "{date}{time}，我在客服热线值班，接到了{who}的来电。",
        "那天{time}，客服热线转进来一通电话，是{who}打来的。",
        "{date}{time}，{who}打进了我们的服务电话。",
        "{time}，一通转接电话进来，电话那头是{who}。",
        "{date}那天，{who}连着打了两次电话才接通到我这里。",
    ),
    "chat": (
        "{time}，在线客服进来一条咨询，是{who}发来的。",
        "{date}{time}，{who}在在线客服里连发了好几条消息。",
        "{time}，我在在线渠道接待了{who}。",
        "{date}，{who}在在线客服发来求助，说自己打电话一直没打通。",
        "那天{time}，{who}通过在线客服找到了我们。",
    ),
    "email": (
        "{date}，我们收到{who}发来的一封邮件。",
        "{time}，客服邮箱里进来一封邮件，是{who}写的，字里行间都很着急。",
        "{who}给我们写了一封长长的邮件，讲了自己遇到的麻烦。",
    ),
    "onsite": (
        "{time}，{who}来到我们的现场服务台。",
        "{date}，我在{city}的现场服务点值班，{who}找了过来。",
        "{time}，{who}拖着行李走到我们的现场服务柜台前。",
    ),
}
CALL_OPENINGS = (
    "{guest}开口第一句就是：“我现在真的不知道该怎么办了。”",
    "电话一接通，{guest}就急着说明了情况。",
    "{guest}说话很快，我请{ta}慢慢说，我在听。",
)
FEELINGS = (
    "{ta}说话带着哭腔，说了好几遍“怎么办”。",
    "{ta}已经打过好几个电话，越说越着急。",
    "{ta}说自己一整天都没顾上吃饭。",
    "{guest}一再强调，这趟行程对{ta}特别重要。",
    "看得出{ta}已经很疲惫了，说话都有些有气无力。",
    "{ta}最担心的是家里人知道了会着急。",
    "{ta}问我：“你们是不是也没有办法？”",
    "{ta}身边没有一个认识的人，只能打给我们。",
    "{ta}说要是今天解决不了，就只能把整个行程都取消了。",
    "{guest}的语气里满是焦虑，但还是很客气。",
    "{ta}的手机只剩百分之十的电，说随时可能断线。",
)
PHONE_FEELINGS = (
    "电话那头很吵，我隐约能听到机场的广播声。",
    "电话里能听到孩子的哭声，{ta}说话断断续续的。",
    "{ta}在电话里说着说着就沉默了，我能感觉到{ta}的无助。",
)
INTROS = (
    "我先请{guest}别着急，告诉{ta}接下来每一步我都会同步给{ta}。",
    "我先稳住{ta}的情绪：“您先别急，这件事交给我。”",
    "我把{ta}的诉求复述了一遍，确认我理解得没有偏差。",
    "我先问清楚{ta}现在的位置和身边的情况，确认{ta}是安全的。",
    "接到电话后，我先记下关键信息，请{ta}保持手机畅通。",
    "作为当班客服，我先安抚{guest}的情绪，再一条条梳理{ta}遇到的问题。",
    "我告诉{ta}，我是负责这件事的客服，后面的进展都由我来跟。",
    "我告诉{guest}：“您说的情况我都记下了，我们一起来想办法。”",
)
CONNECTORS = ("接着，", "随后，", "同时，", "然后，", "另外，", "与此同时，", "紧接着，")
NUMBERED = ("第一步，", "第二步，", "第三步，", "第四步，")
GENERIC_ACTIONS = (
    "我在系统里做了详细备注，方便后续同事接手时不用再问客人一遍。",
    "每办完一件事，我都会第一时间告诉{ta}进度。",
    "我请{colleague}帮忙盯着另一条线，两边同时推进。",
    "我给{ta}留了我们的客服热线和我的工号，让{ta}有事直接找我。",
    "我把需要{ta}配合的事情列成一二三，发到{ta}的手机上。",
    "中途我又回了一次电话，确认{ta}那边没有新的变化。",
    "我们组的同事也一起帮忙查询，一共打了{count}个电话才把事情落实。",
    "为了不让{ta}来回跑，能在线上办的手续我都替{ta}办好了。",
    "我向{colleague}汇报了情况，申请了特殊处理的权限。",
    "我把费用的每一笔都算清楚，告诉{ta}哪些不用出钱。",
    "我提醒{ta}保存好相关的票据和截图，后面申请补偿时会用到。",
    "我跟{ta}约好了下一次联系的时间，到点准时打过去。",
    "电话里我一条一条跟{ta}核对，确认没有遗漏。",
    "我把整个处理过程同步给了{ta}的家人，让他们也放心。",
    "我和供应商沟通了{count}轮，终于拿到了确定的答复。",
    "为了确认信息准确，我又打电话向对方做了二次核实。",
    "我把可选的方案都摆出来，讲清楚每个方案的利弊，让{ta}自己做决定。",
    "考虑到{ta}不方便接电话，我们改用短信和{ta}沟通。",
)
BEHAVIOR_ACTIONS = {
    "warmth": (
        "电话里我一直保持着微笑的语气，让{guest}知道有人在认真听{ta}说话。",
        "我每隔一会儿就问一句“您那边现在还好吗”，让{ta}知道我一直都在。",
        "挂电话前我特意叮嘱{ta}路上注意安全，有任何情况随时打回来找我。",
    ),
    "empathy": (
        "我想，如果是我的家人遇到这种情况，我也会一样着急，所以先把{ta}最担心的事解决掉。",
        "我没有急着讲规定，而是先听{guest}把话说完，把{ta}真正的难处记下来。",
        "站在{ta}的角度想，最需要的不是一个解释，而是一个明确的下一步。",
    ),
    "n_plus_one": (
        "除了把问题解决，我还联系{partner}为{ta}准备了{gift}，算是一点小心意。",
        "我顺手帮{ta}查好了{dest}这几天的天气和交通方式，一并发了过去。",
        "想到{ta}到达时已经很晚，我又帮{ta}约好了接站的车，费用按合作价结算。",
    ),
    "plain_talk": (
        "我把方案压缩成三句话：改到哪一天、要不要加钱、什么时候能收到确认。",
        "我没有用一个专业术语，用最简单的话把{ta}需要做的两件事讲清楚。",
        "{minutes}内，我就把查询、确认、出票一次办完，没让{ta}多等。",
    ),
    "closure": (
        "第二天一早，我又给{guest}回了电话，确认{ta}一切顺利。",
        "我在系统里设置了跟进提醒，款项到账那天再次联系{ta}确认。",
        "事情办完后，我把整个过程写进工单，确保每一个环节都有交代。",
    ),
    "improvement": (
        "事后我把这类情况整理成案例，向组里提了一条流程改进建议：{improve}。",
        "我发现这个问题不是第一次出现，就把几个类似的工单汇总给了{colleague}，推动{improve}。",
    ),
    "ownership": (
        "虽然问题出在供应商那边，但我告诉{guest}：这件事由我跟到底，{ta}不用再找别人。",
        "我没有让{ta}自己去找航司或酒店，而是一个个电话打过去协调。",
        "我把自己的工号留给了{ta}，说有任何进展我都会第一时间回电。",
    ),
    "anticipation": (
        "我想到{ta}到达时已经是深夜，提前帮{ta}确认了酒店会留房。",
        "考虑到第二天可能还有{weather}，我提前帮{ta}查好了备选方案。",
        "我注意到{ta}的返程也会受影响，就顺手一起处理了，免得{ta}再打一次电话。",
    ),
    "stepping_in": (
        "那天{weather}导致来电量暴增，我主动从在线组调到电话组补位。",
        "当时组里好几位同事都在处理大面积航变，我主动接下了这通转接过来的电话。",
        "下班前看到排队的来电还有很多，我留了下来，又多接了{calls}个电话。",
    ),
    "expertise": (
        "根据{ta}订单的退改规则，我判断这种情况属于非自愿变更，可以免费处理。",
        "我熟悉这家供应商的政策，直接给出了两个可行的方案让{ta}选择。",
        "我仔细查了{ta}的订单和供应商的取消政策，发现还有全额退款的余地。",
    ),
    "customer_first": (
        "{guest}一时拿不出书面证明，但我相信{ta}说的是实情，主动向{colleague}申请了特殊处理。",
        "在规则允许的范围内，我为{ta}争取到了最好的结果：{good}。",
    ),
    "integrity": (
        "对方想让我把其他客人的信息告诉{ta}，我婉拒了，并解释这是对每一位客人的保护。",
        "{ta}希望我们开一张金额更高的发票，我耐心说明了这是不能做的，并给了{ta}合规的报销建议。",
        "核实身份时我只确认了必要的信息，没有在电话里复述{ta}的任何证件信息。",
    ),
}
GENERIC_RESULTS = (
    "事情办妥后，{guest}在电话里连说了好几声谢谢。",
    "{ta}说：“有你们在，出门心里就有底了。”",
    "整个处理过程用了不到{hours}，{ta}没有多花一分钱。",
    "后来回访时，{ta}说这次经历让{ta}对我们多了一份信任。",
    "{guest}在对话结束前给了满分评价。",
    "{ta}说以后出行还会第一个想到我们。",
    "挂电话前，{ta}说：“你们的服务真的很暖心。”",
    "{ta}的家人也专门打来电话表示感谢。",
    "{ta}说没想到客服能帮到这一步。",
    "回访电话里，{guest}说这是{ta}第一次觉得客服不是在走流程。",
    "这件事之后，{guest}成了我们的忠实客户，后来又订了好几次。",
    "回访的时候{ta}还记得我的名字，说要把我们推荐给朋友。",
)
PRAISE_RESULTS = {
    "letter": (
        "{guest}后来专门写了一封表扬信寄到公司，信里点名感谢了处理这件事的客服。",
        "几天后我们收到了{ta}的表扬信，信里写道：“{quote}。”",
    ),
    "banner": (
        "一周后，{guest}专程送来一面锦旗，上面写着“{banner_text}”。",
        "{ta}后来寄来一面锦旗，“{banner_text}”几个字挂在了我们的办公区。",
    ),
    "video": (
        "{guest}录了一段感谢视频发给我们，视频里{ta}笑着说了好几声谢谢。",
        "{ta}后来发来一段感谢视频，大家在组会上一起看了。",
    ),
    "online_review": (
        "{ta}在网上留了五星好评，写了满满一大段话感谢这次服务。",
        "{ta}在点评里写道：“{quote}。”",
    ),
}
TAKEAWAYS = {
    "heartwarming": (
        "客人在最慌的时候，最需要的是有人稳稳地接住{ta}的情绪，再一起想办法。",
        "用心不是多说几句好听的话，而是把客人当成自己的家人来对待。",
        "规则之外，总有一点空间可以用温度来填补。",
        "一句“您别着急，交给我”，往往比任何解释都管用。",
        "客人记住的往往不是我们解决了什么问题，而是我们让{ta}感受到了什么。",
    ),
    "effortless": (
        "能一次讲清楚的事，就不要让客人打第二次电话。",
        "把复杂的规则翻译成客人听得懂的话，是我们每天都要练的基本功。",
        "简单不是少做，而是把该做的一次做对。",
        "流程里的一个小改进，可能会让下一位客人少等半个小时。",
    ),
    "active": (
        "不要等客人开口，多往前想一步，问题往往在发生之前就解决了。",
        "主动一点，客人就少跑一趟；担当一点，问题就少转一手。",
        "遇到突发情况，第一时间站出来，比事后解释一百句都有用。",
        "我们多打一个电话，客人就少一分不确定。",
    ),
    "trust": (
        "专业是信任的基础，只有自己把规则吃透，才能给客人一个靠得住的答案。",
        "相信客人，也让客人相信我们，这是每一通电话的底线。",
        "守住原则本身就是对客人的保护。",
        "客人愿意把难题交给我们，是因为相信我们说到就能做到。",
    ),
}
GENERIC_TAKEAWAYS = (
    "作为客服，我们接的每一通电话背后，都是一段对客人很重要的旅程。",
    "这件事让我明白，细节决定了客人对我们的印象。",
    "遇到问题时，先解决心情，再解决事情。",
    "客服不是简单地传话，而是替客人把事情办成。",
    "以后遇到类似的情况，我会把这次的做法整理成清单，分享给组里的同事。",
    "我们多想一步、多问一句，就能让客人少走很多弯路。",
    "旅途中出现意外很正常，重要的是我们能不能及时接住。",
    "服务没有标准答案，但每一次用心都有回应。",
    "客服的价值，就在客人最需要帮助的那几分钟里。",
    "一个好的客服，要让客人挂电话时比打进来时安心。",
)
ENGLISH_SITUATION = (
    "{guest}一开口就是英文：“My flight was cancelled, what should I do?”",
    "{ta}在消息里写道：“I need a refund as soon as possible.”",
    "{ta}说自己只会一点点中文，问我们：“Can you speak English?”",
    "{ta}反复提到自己的 booking 出了问题，却说不清是哪一步。",
)
ENGLISH_ACTIONS = (
    "我切换成英文和{ta}沟通，把 refund 的规则和到账时间一条一条讲清楚。",
    "我用英文帮{ta}确认了 check-in 时间，还提醒{ta}带好 booking confirmation。",
    "我请酒店为{ta}安排了免费的 upgrade，并把 late check-out 延到了下午两点。",
    "我把新的 boarding pass 信息和登机口用中英文各写了一遍发给{ta}。",
    "我跟{ta}确认了 pick-up 的地点，又用英文复述了一次司机的车型和颜色。",
)
ENGLISH_RESULTS = (
    "{guest}最后说：“Thank you so much, you saved my trip!”",
    "{ta}后来在网上留了一条英文评价：“Super helpful and patient.”",
    "{ta}说这是{ta}在中国遇到过最 helpful 的客服。",
)
TITLE_PATTERNS = (
    "{city}{topic}，为{short}{fix}",
    "{city}{topic}，为{short}{fix}",
    "{short}{topic}，我们{fix}",
    "{guest}的{topic}：{fix}",
    "{guest}{topic}，{fix}",
    "{date}{city}{topic}，{fix}",
    "一通{period}的电话：{short}遇上{topic}",
    "{short}遇上{topic}，客服{fix}",
    "从{topic}到{ending}",
    "{fix}：记一次{city}{topic}的处理",
    "{city}{short}{topic}，{fix}",
    "{city}到{dest}：{short}{topic}",
    "{topic}之后，我为{guest}{fix}",
    "帮{short}{fix}：{topic}背后的故事",
)
TITLE_FILLERS = ("的一次服务", "处理记", "，全程跟进", "的那一晚")

# ---------------------------------------------------------------------------------------------
# Building one case
# ---------------------------------------------------------------------------------------------

K = TypeVar("K")
_s2t = None


def to_traditional(text: str) -> str:
    """Simplified to Traditional characters; the converter is made once, on first use."""
    global _s2t
    if _s2t is None:
        import opencc

        _s2t = opencc.OpenCC("s2t")
    return _s2t.convert(text)


def _weighted(rng: random.Random, weights: dict[K, int]) -> K:
    return rng.choices(tuple(weights), weights=tuple(weights.values()))[0]


def pick_tags(rng: random.Random) -> list[str]:
    count = _weighted(rng, TAG_COUNT_WEIGHTS)
    chosen: set[str] = set()
    while len(chosen) < count:
        chosen.add(_weighted(rng, TAG_WEIGHTS))
    return canonical_tags(chosen)


def pick_behaviors(rng: random.Random, tags: list[str]) -> list[str]:
    pool = [code for tag in tags for code in BEHAVIORS_OF_TAG[tag]]
    count = min(_weighted(rng, BEHAVIOR_COUNT_WEIGHTS), len(pool))
    return canonical_behaviors(rng.sample(pool, count))


def pick_customer(rng: random.Random, english: bool) -> CustomerType:
    if english:
        return FOREIGN_TYPE
    return rng.choices(CUSTOMER_TYPES, weights=[kind.weight for kind in CUSTOMER_TYPES])[0]


def make_slots(rng: random.Random, customer: CustomerType, day: date) -> Slots:
    call, pronoun = rng.choice(customer.call)
    slots = Slots(rng, ta=pronoun, date=f"{day.month}月{day.day}日")
    slots["guest"] = call.format_map(slots)
    slots["who"] = rng.choice(customer.who).format_map(slots)
    slots["short"] = rng.choice(customer.short)
    return slots


def _some(rng: random.Random, pool: tuple[str, ...], low: int, high: int) -> list[str]:
    """Between low and high templates of pool, in the pool's order (stories read in sequence)."""
    count = min(len(pool), rng.randint(low, high))
    return [pool[i] for i in sorted(rng.sample(range(len(pool)), count))]


def _fill(rng: random.Random, slots: Slots, pool: list[str], budget: int) -> list[str]:
    """Sentences from pool, in random order, until they reach the budget."""
    sentences: list[str] = []
    size = 0
    for template in rng.sample(pool, len(pool)):
        if size >= budget:
            break
        sentence = template.format_map(slots)
        if size + len(sentence) <= budget + 20:
            sentences.append(sentence)
            size += len(sentence)
    return sentences


def _render(slots: Slots, templates: list[str]) -> list[str]:
    return [template.format_map(slots) for template in templates]


def situation_part(rng, slots, scenario, customer, channel, english, budget) -> tuple[list[str], list[str]]:
    """【情况】: the opening, what happened, who the customer is. Returns (fixed, optional) sentences."""
    fixed = [rng.choice(OPENERS[channel])]
    if channel == "phone" and rng.random() < 0.3:
        fixed.append(rng.choice(CALL_OPENINGS))
    story = _some(rng, scenario.situation, 1, 2)
    extra = [rng.choice(customer.needs)]
    if english:
        extra.append(rng.choice(ENGLISH_SITUATION))
    middle = story + extra
    if rng.random() < 0.4:
        rng.shuffle(middle)
    fixed = _render(slots, fixed + middle)
    feelings = FEELINGS + PHONE_FEELINGS if channel == "phone" else FEELINGS
    optional = [s for s in scenario.situation + customer.needs if s not in middle] + list(feelings)
    return fixed, _fill(rng, slots, optional, budget - sum(map(len, fixed)))


def _connect(rng: random.Random, sentences: list[str]) -> list[str]:
    """Number the steps or join them with connectives, so the same actions read differently."""
    if rng.random() < 0.3:
        return [NUMBERED[i] + s if i < len(NUMBERED) else s for i, s in enumerate(sentences)]
    return [rng.choice(CONNECTORS) + s if i and rng.random() < 0.35 else s for i, s in enumerate(sentences)]


def actions_part(rng, slots, scenario, behaviors, english, budget) -> tuple[list[str], list[str]]:
    """【我的做法】: the agent's steps, the behaviours shown, then general good practice."""
    chosen = _some(rng, scenario.actions, 2, 3)
    steps = _render(slots, chosen)
    if english:
        steps.append(rng.choice(ENGLISH_ACTIONS).format_map(slots))
    fixed = _connect(rng, steps)
    if rng.random() < 0.7:
        fixed.insert(0, rng.choice(INTROS).format_map(slots))
    fixed += [rng.choice(BEHAVIOR_ACTIONS[code]).format_map(slots) for code in behaviors]
    optional_pool = [s for s in scenario.actions if s not in chosen] + list(GENERIC_ACTIONS)
    return fixed, _fill(rng, slots, optional_pool, budget - sum(map(len, fixed)))


def results_part(rng, slots, scenario, praise, english, budget) -> tuple[list[str], list[str]]:
    """【结果】: how it ended, and the praise if any."""
    fixed = [rng.choice(scenario.results)]
    if english:
        fixed.append(rng.choice(ENGLISH_RESULTS))
    if praise:
        fixed.append(rng.choice(PRAISE_RESULTS[praise]))
    fixed = _render(slots, fixed)
    return fixed, _fill(rng, slots, list(GENERIC_RESULTS), budget - sum(map(len, fixed)))


def takeaways_part(rng, slots, tags, budget) -> tuple[list[str], list[str]]:
    """【心得】: one lesson per value the case shows, then general ones."""
    chosen = [rng.choice(TAKEAWAYS[tag]) for tag in tags[:2]]
    fixed = _render(slots, chosen)
    pool = [s for tag in tags for s in TAKEAWAYS[tag] if s not in chosen] + list(GENERIC_TAKEAWAYS)
    return fixed, _fill(rng, slots, pool, budget - sum(map(len, fixed)))


HEADINGS = ("【情况】", "【我的做法】", "【结果】", "【心得】")
SHARES = (0.27, 0.43, 0.15, 0.15)


def _assemble(parts: list[tuple[list[str], list[str]]]) -> str:
    texts = ("".join(fixed + optional) for fixed, optional in parts)
    return "\n\n".join(heading + text for heading, text in zip(HEADINGS, texts, strict=True))


def fit_body(rng: random.Random, slots: Slots, parts: list[tuple[list[str], list[str]]]) -> str:
    """Drop optional sentences while too long, add general actions while too short."""
    body = _assemble(parts)
    while len(body) > BODY_MAX:
        longest = max((p for p in parts if p[1]), key=lambda p: sum(map(len, p[1])), default=None)
        if longest is None:
            break
        longest[1].pop()
        body = _assemble(parts)
    spare = [s for s in GENERIC_ACTIONS if s.format_map(slots) not in parts[1][1]]
    while len(body) < BODY_MIN and spare:
        parts[1][1].append(spare.pop(rng.randrange(len(spare))).format_map(slots))
        body = _assemble(parts)
    return body


class _Keep(dict):
    """Leaves other fields as they are, so a title pattern is filled in two passes."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def make_title(rng: random.Random, slots: Slots, scenario: Scenario) -> str:
    """A headline from the scenario and the customer, 12 to 40 characters."""
    title = ""
    for _ in range(6):
        parts = _Keep(topic=rng.choice(scenario.topics), fix=rng.choice(scenario.fixes))
        title = rng.choice(TITLE_PATTERNS).format_map(parts).format_map(slots)
        if TITLE_MIN <= len(title) <= TITLE_MAX:
            return title
    if len(title) < TITLE_MIN:
        title += rng.choice(TITLE_FILLERS)
    return title[:TITLE_MAX]


def make_case(rng: random.Random, seed: int, index: int) -> dict:
    """One case; authors are added by the caller."""
    line = _weighted(rng, LINE_WEIGHTS)
    channel = _weighted(rng, CHANNEL_WEIGHTS)
    tags = pick_tags(rng)
    behaviors = pick_behaviors(rng, tags)
    day = LAST_DAY - timedelta(days=rng.randrange(SPAN_DAYS))
    praise = _weighted(rng, PRAISE_WEIGHTS) if rng.random() < PRAISE_SHARE else None
    english = rng.random() < ENGLISH_SHARE
    traditional = rng.random() < TRADITIONAL_SHARE

    scenario = rng.choice(SCENARIOS[line])
    customer = pick_customer(rng, english)
    slots = make_slots(rng, customer, day)
    target = rng.randint(BODY_MIN + 20, BODY_MAX - 30) - 24  # minus the headings and breaks
    budgets = [int(target * share * rng.uniform(0.85, 1.15)) for share in SHARES]
    parts = [
        situation_part(rng, slots, scenario, customer, channel, english, budgets[0]),
        actions_part(rng, slots, scenario, behaviors, english, budgets[1]),
        results_part(rng, slots, scenario, praise, english, budgets[2]),
        takeaways_part(rng, slots, tags, budgets[3]),
    ]
    body = fit_body(rng, slots, parts)
    title = make_title(rng, slots, scenario)
    if traditional:
        title, body = to_traditional(title), to_traditional(body)
    return {
        "external_id": f"gen-{seed}-{index}",
        "title": title,
        "body": body,
        "tags": tags,
        "behaviors": behaviors,
        "business_line": line,
        "channel": channel,
        "occurred_on": day.isoformat(),
        "praise": praise,
        "status": "approved",
    }


def generate_cases(n: int, seed: int = 0, authors: list[str] | None = None) -> Iterator[dict]:
    """Yield n synthetic cases; the same (n, seed) always gives the same cases.

    Authors come from a separate random stream, so giving authors does not change the stories.
    """
    rng = random.Random(seed)
    author_rng = random.Random(f"authors-{seed}")
    for index in range(n):
        case = make_case(rng, seed, index)
        if authors:
            case["author"] = author_rng.choice(authors)
        yield case


def main() -> None:
    parser = argparse.ArgumentParser(description="Write synthetic HEAT cases as JSON Lines.")
    parser.add_argument("n", type=int, help="how many cases")
    parser.add_argument("outfile", type=Path, help="JSON Lines file to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--authors", default="", help="comma-separated usernames to attribute cases to")
    args = parser.parse_args()
    authors = [name.strip() for name in args.authors.split(",") if name.strip()] or None

    started = time.perf_counter()
    count = body_chars = 0
    with args.outfile.open("w", encoding="utf-8") as out:
        for case in generate_cases(args.n, args.seed, authors):
            out.write(json.dumps(case, ensure_ascii=False) + "\n")
            count += 1
            body_chars += len(case["body"])
    elapsed = time.perf_counter() - started
    average = body_chars / count if count else 0
    print(f"wrote {count} cases to {args.outfile}, average body {average:.0f} characters, {elapsed:.1f} s")


if __name__ == "__main__":
    main()
