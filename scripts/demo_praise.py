"""Draw the demo's praise evidence once (heatcases/demo/praise/): a customer's thank-you letter (JPEG) and a short
thank-you video (WebM, VP8), made up, with no real person in them. Needs a CJK font (Debian: fonts-noto-cjk).

    .venv/bin/python scripts/demo_praise.py
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "heatcases" / "demo" / "praise"
FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
LETTER = [
    "感 谢 信",
    "",
    "尊敬的客服中心：",
    "    十月初我和老伴在昆明转机，凌晨航班因雷雨取消。",
    "我们两个八十岁的老人，手机也不会用，心里非常着急。",
    "    李小姐在电话里一直安慰我们，很快帮我们改签到",
    "第二天上午的航班，又安排了机场酒店和接送车，",
    "还专门打电话提醒我们吃药、早点休息。",
    "    第二天我们平平安安到了家。儿女们都说，",
    "遇到这样的服务是我们的福气。",
    "    特此写信，感谢李小姐，感谢你们！",
    "",
    "                        王老先生、张老太太",
    "                        二〇二六年十月",
]


def letter() -> None:
    page = Image.new("RGB", (900, 1200), (250, 246, 235))
    draw = ImageDraw.Draw(page)
    title, body = ImageFont.truetype(FONT, 52), ImageFont.truetype(FONT, 30)
    for y in range(250, 1150, 56):  # ruled paper
        draw.line((70, y + 44, 830, y + 44), fill=(214, 205, 185), width=1)
    draw.text((450, 120), LETTER[0], font=title, fill=(40, 40, 40), anchor="mm")
    for n, line in enumerate(LETTER[2:]):
        draw.text((80, 250 + n * 56), line, font=body, fill=(35, 35, 60))
    draw.ellipse((640, 960, 790, 1110), outline=(200, 30, 30), width=6)  # a red seal
    draw.text((715, 1035), "谢", font=title, fill=(200, 30, 30), anchor="mm")
    page.save(OUT / "letter.jpg", "JPEG", quality=85, optimize=True)


def video() -> None:
    size, frames = (480, 270), 72
    font = ImageFont.truetype(FONT, 54)
    small = ImageFont.truetype(FONT, 24)
    with av.open(str(OUT / "thanks.webm"), "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=24)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        stream.time_base = Fraction(1, 24)
        stream.bit_rate = 300_000
        for n in range(frames):
            frame = Image.new("RGB", size, (190 - n, 30 + n, 40))
            draw = ImageDraw.Draw(frame)
            draw.rectangle((30, 60, 450, 190), fill=(200, 20, 30), outline=(250, 210, 80), width=4)  # the banner
            draw.text((240, 125), "谢谢你们！"[: 1 + n // 12], font=font, fill=(250, 220, 90), anchor="mm")
            draw.text((240, 235), "客人在酒店大堂录的感谢视频", font=small, fill=(255, 255, 255), anchor="mm")
            picture = av.VideoFrame.from_image(frame)
            picture.pts = n
            for packet in stream.encode(picture):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    letter()
    video()
    for path in sorted(OUT.iterdir()):
        print(path, path.stat().st_size)
