"""Write the checked-in corpus of input files (tests/corpus/files) and its manifest.

    python tests/corpus/make_corpus.py

Every file is made here, deterministically (fixed seeds), from nothing but Pillow, numpy and the
standard library. The manifest lists, per file: ``kind`` (which loader reads it: image, scenes,
clevr_questions, photo_questions:<benchmark>, eval:<benchmark>:<input>, batch_rows), ``expect``
("ok" or "error") and, for errors, ``match``: a regular expression the one-line message must hold
(the field it names). tests/cli/test_corpus.py reads every file through its loader in-process and
a representative few through `vqa` processes; benchmarks/fuzz_corpus.py runs every file through its
own `vqa` process.
"""
from __future__ import annotations

import io
import json
import os
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
OUT = HERE / "files"
TRUNCATED = r"truncated or corrupt|not an image vqa reads|is empty"  # a cut file fails in the header or in the data
LIMIT = r"over the 40,000,000-pixel limit"


class Corpus:
    def __init__(self):
        self.entries: list[dict] = []
        self.files: dict[str, bytes] = {}

    def add(self, name: str, kind: str, data: bytes, expect: str = "ok", match: str | None = None, **extra) -> None:
        assert name not in self.files, name
        self.files[name] = data
        self.entries.append({"file": name, "kind": kind, "expect": expect, "match": match, **extra})

    def json(self, name: str, kind: str, doc, expect: str = "ok", match: str | None = None, raw: bytes | None = None) -> None:
        self.add(name, kind, raw if raw is not None else json.dumps(doc).encode(), expect, match)


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _noise(w: int, h: int, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8))


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_header_only(w: int, h: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + \
        _png_chunk(b"IEND", b"")


def images(c: Corpus) -> None:
    base = _noise(31, 23)
    k = "image"
    # every mode a format stores, and Pillow's odd ones
    for mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I"):
        if mode in ("I;16", "I"):  # 16-bit grey PNG; 32-bit grey in TIFF
            a = np.asarray(base.convert("L"), dtype=np.int32) * 200
            img = Image.fromarray(a.astype("<u2")) if mode == "I;16" else Image.fromarray(a)  # modes I;16 and I
            c.add(f"images/mode_{mode.replace(';', '')}.{'png' if mode == 'I;16' else 'tif'}", k,
                  _encode(img, "PNG" if mode == "I;16" else "TIFF"), size=[31, 23])
            continue
        c.add(f"images/mode_{mode}.png", k, _encode(base.convert(mode), "PNG"), size=[31, 23])
    p = base.convert("P")
    p.info["transparency"] = 0
    c.add("images/palette_transparent.png", k, _encode(p, "PNG", transparency=0), size=[31, 23])
    for mode in ("RGB", "L", "CMYK"):
        c.add(f"images/jpeg_{mode}.jpg", k, _encode(base.convert(mode), "JPEG"), size=[31, 23])
    c.add("images/jpeg_progressive.jpg", k, _encode(base, "JPEG", progressive=True), size=[31, 23])
    for fmt, ext in (("BMP", "bmp"), ("GIF", "gif"), ("WEBP", "webp"), ("TIFF", "tif"), ("PPM", "ppm")):
        c.add(f"images/plain.{ext}", k, _encode(base, fmt), size=[31, 23])
    c.add("images/bmp_1bit.bmp", k, _encode(base.convert("1"), "BMP"), size=[31, 23])
    c.add("images/bmp_palette.bmp", k, _encode(base.convert("P"), "BMP"), size=[31, 23])
    c.add("images/pgm.pgm", k, _encode(base.convert("L"), "PPM"), size=[31, 23])
    c.add("images/webp_lossless.webp", k, _encode(base, "WEBP", lossless=True), size=[31, 23])
    c.add("images/tiff_float.tif", k, _encode(Image.fromarray(np.linspace(-1, 1, 23 * 31, dtype=np.float32).reshape(23, 31)),
                                              "TIFF"), size=[31, 23])
    c.add("images/tiff_cmyk.tif", k, _encode(base.convert("CMYK"), "TIFF"), size=[31, 23])
    c.add("images/tiff_deflate.tif", k, _encode(base, "TIFF", compression="tiff_adobe_deflate"), size=[31, 23])
    frames = [Image.new("RGB", (20, 10), col) for col in ("red", "green", "blue")]
    for fmt, ext, kw in (("GIF", "gif", {}), ("PNG", "png", {}), ("WEBP", "webp", {"lossless": True}), ("TIFF", "tif", {})):
        c.add(f"images/animated_or_pages.{ext}", k, _encode(frames[0], fmt, save_all=True, append_images=frames[1:], **kw),
              size=[20, 10], first_frame="red")
    # sizes: tiny and extreme aspect ratios
    for w, h in ((1, 1), (1, 2), (2, 1), (2, 2), (3, 3), (1, 3000), (3000, 1), (4000, 2), (2, 4000)):
        c.add(f"images/size_{w}x{h}.png", k, _encode(_noise(w, h, seed=w * h), "PNG"), size=[w, h])
    c.add("images/size_5000x3.jpg", k, _encode(_noise(5000, 3), "JPEG"), size=[5000, 3])
    # EXIF orientation: stored sideways, read upright (a 30 x 20 picture stored as 20 x 30 for 5-8)
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        stored = _noise(20, 30) if orientation >= 5 else _noise(30, 20)
        c.add(f"images/exif_orientation_{orientation}.jpg", k, _encode(stored, "JPEG", exif=exif), size=[30, 20])
    exif = Image.Exif()
    exif[0x0112] = 6
    c.add("images/exif_orientation_6.png", k, _encode(_noise(20, 30), "PNG", exif=exif), size=[30, 20])
    c.add("images/exif_damaged.jpg", k, _encode(base, "JPEG", exif=b"Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\xff"), size=[31, 23])

    # refused: not an image, or a format vqa does not read
    c.add("images/empty.png", k, b"", "error", r"is empty \(0 bytes\)")
    for name, data in {"text.png": b"hello, not a picture\n", "html.jpg": b"<html><body>not found</body></html>",
                       "json.png": b'{"image": "no"}', "svg.png": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
                       "pdf.png": b"%PDF-1.4\n1 0 obj<<>>endobj\n", "eps.png": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 9 9\n",
                       "ico.png": _encode(Image.new("RGB", (16, 16)), "ICO"), "tga.png": _encode(base, "TGA"),
                       "jpeg2000.png": _encode(base, "JPEG2000") if _has("JPEG2000") else b"\x00\x00\x00\x0cjP  \r\n\x87\n",
                       "qoi.png": _encode(base, "QOI") if _has("QOI") else b"qoif", "pcx.png": _encode(base, "PCX"),
                       "psd.png": b"8BPS\x00\x01" + bytes(40), "zeros.png": bytes(500)}.items():
        c.add(f"images/not_an_image_{name}", k, data, "error", "not an image vqa reads")
    rng = np.random.default_rng(31)
    for n in range(6):
        c.add(f"images/random_{n}.jpg", k, rng.integers(0, 256, 50 + 200 * n, dtype=np.uint8).tobytes(), "error", TRUNCATED)
    # refused: cut files and garbage behind a signature (Pillow's OSError escaped before issue 31)
    seeds = {"png": _encode(base, "PNG"), "jpg": _encode(base, "JPEG"), "bmp": _encode(base, "BMP"), "gif": _encode(base, "GIF"),
             "webp": _encode(base, "WEBP"), "tif": _encode(base, "TIFF")}
    for ext, data in seeds.items():
        for cut in (3, 12, 40, len(data) // 2, len(data) - 40):
            c.add(f"images/cut_{ext}_{cut}.{ext}", k, data[:cut], "error", TRUNCATED)
    signatures = {"png": b"\x89PNG\r\n\x1a\n", "jpg": b"\xff\xd8\xff", "bmp": b"BM", "gif": b"GIF89a", "tif": b"II*\x00",
                  "webp": b"RIFF\x40\x00\x00\x00WEBPVP8 "}
    for ext, sig in signatures.items():
        for n in range(3):
            c.add(f"images/garbage_after_{ext}_signature_{n}.{ext}", k, sig + rng.integers(0, 256, 30 + 60 * n, dtype=np.uint8).tobytes(),
                  "error", TRUNCATED)
    damaged = bytearray(seeds["png"])
    damaged[len(damaged) // 2] ^= 0xFF
    c.add("images/png_flipped_byte.png", k, bytes(damaged), "error", TRUNCATED)
    # refused from the header: decompression bombs and empty sizes
    c.add("images/bomb_png_20000x20000.png", k, _png_header_only(20000, 20000), "error", r"400,000,000 pixels, over the 40,000,000")
    c.add("images/bomb_png_65535x65535.png", k, _png_header_only(65535, 65535), "error", LIMIT)
    c.add("images/bomb_png_40000x1001.png", k, _png_header_only(40000, 1001), "error", LIMIT)
    jpeg = seeds["jpg"]
    sof = jpeg.index(b"\xff\xc0") + 5  # SOF0: marker, length (2), precision (1), then height and width
    sos = jpeg.index(b"\xff\xda")
    c.add("images/bomb_jpeg_60000x60000.jpg", k, jpeg[:sof] + struct.pack(">HH", 60000, 60000) + jpeg[sof + 4:sos + 20],
          "error", r"3,600,000,000 pixels|60000x60000 pixels")
    gif = b"GIF89a" + struct.pack("<HH", 65535, 65535) + b"\x00\x00\x00" + b"\x2c" + struct.pack("<HHHH", 0, 0, 65535, 65535) + b"\x00\x02\x02\x44\x01\x00\x3b"
    c.add("images/bomb_gif_65535x65535.gif", k, gif, "error", LIMIT)
    bmp_header = b"BM" + struct.pack("<IHHI", 54, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, 50000, 50000, 1, 24, 0, 0, 0, 0, 0, 0)
    c.add("images/bomb_bmp_50000x50000.bmp", k, bmp_header, "error", LIMIT)
    c.add("images/png_zero_width.png", k, _png_header_only(0, 10), "error", TRUNCATED + "|holds no picture")


def _has(fmt: str) -> bool:
    Image.init()
    return fmt in Image.SAVE


SCENE = {"image_filename": "CLEVR_corpus_0.png", "image_index": 0,
         "objects": [{"color": "red", "shape": "cube", "material": "metal", "size": "large", "3d_coords": [1.0, 2.0, 0.7],
                      "pixel_coords": [200, 150, 9.5], "rotation": 20.0},
                     {"color": "cyan", "shape": "sphere", "material": "rubber", "size": "small", "3d_coords": [-1.0, 0.5, 0.35],
                      "pixel_coords": [120, 170, 11.0], "rotation": 0.0}],
         "relationships": {"left": [[1], []], "right": [[], [0]], "front": [[], [0]], "behind": [[1], []]}}
PHOTO = {"image_filename": "photo.jpg", "detector": "coco", "relations": "boxes",
         "objects": [{"color": "brown", "shape": None, "material": None, "size": "large", "class": "cat",
                      "box": [9.4, 0.8, 402.0, 297.4], "pixel_coords": [205.7, 149.1, 0.01], "score": 0.87}],
         "relationships": {"left": [[]], "right": [[]], "front": [[]], "behind": [[]]}}


def _edit(doc, fn):
    doc = json.loads(json.dumps(doc))
    fn(doc)
    return doc


def _shared_damage(c: Corpus, prefix: str, kind: str, doc) -> None:
    """The same byte-level damage for every JSON surface."""
    text = json.dumps(doc)
    c.json(f"{prefix}_bom.json", kind, doc, raw=b"\xef\xbb\xbf" + text.encode())
    c.json(f"{prefix}_utf16.json", kind, doc, "error", r"is not UTF-8 text", raw=text.encode("utf-16"))
    c.json(f"{prefix}_latin1.json", kind, doc, "error", r"is not UTF-8 text \(byte 0xe9",
           raw=(text[:-1] + ', "caf\xe9"' + text[-1:]).encode("latin-1"))
    c.json(f"{prefix}_cut.json", kind, doc, "error", r"is not valid JSON", raw=text[: len(text) // 2].encode())
    depth = 100_000 if kind == "clevr_questions" else 5_000  # the 100,000 of issue 31 once; deeper than the parser's stack anyway
    c.json(f"{prefix}_deep.json", kind, doc, "error", r"nested too deeply", raw=b"[" * depth + b"]" * depth)
    c.json(f"{prefix}_empty.json", kind, doc, "error", r"is not valid JSON", raw=b"")
    for name, value in (("null", None), ("number", 7), ("string", "scenes"), ("true", True)):
        c.json(f"{prefix}_top_{name}.json", kind, value, "error", None)


def scenes(c: Corpus) -> None:
    k, ok = "scenes", {"scenes": [SCENE]}
    c.json("json/scenes_valid.json", k, ok)
    c.json("json/scenes_photo_from_vqa_graph.json", k, {"scenes": [PHOTO]})
    _shared_damage(c, "json/scenes", k, ok)
    c.json("json/scenes_nan.json", k, None, "error", r"holds NaN",
           raw=json.dumps(ok).replace("0.7", "NaN").encode())
    c.json("json/scenes_infinity.json", k, None, "error", r"holds 1e999", raw=json.dumps(ok).replace("9.5", "1e999").encode())
    bad = {
        "ultraviolet": (lambda s: s["objects"][0].update(color="ultraviolet"), r"objects\[0\]\.color is 'ultraviolet', not a CLEVR color"),
        "relation_past_objects": (lambda s: s["relationships"]["left"].__setitem__(0, [7]), r"relationships\['left'\]\[0\] must list indices"),
        "relation_negative": (lambda s: s["relationships"]["front"].__setitem__(1, [-1]), r"relationships\['front'\]\[1\]"),
        "relation_bool": (lambda s: s["relationships"]["right"].__setitem__(1, [True]), r"relationships\['right'\]\[1\]"),
        "relation_string": (lambda s: s["relationships"]["right"].__setitem__(1, ["0"]), r"relationships\['right'\]\[1\]"),
        "relations_too_few": (lambda s: s["relationships"].__setitem__("left", [[1]]), r"relationships\['left'\] must hold one list per object \(2\)"),
        "relationships_list": (lambda s: s.__setitem__("relationships", [[1]]), r"'relationships' must map predicates"),
        "missing_shape": (lambda s: s["objects"][1].pop("shape"), r"objects\[1\] has no 'shape'"),
        "size_number": (lambda s: s["objects"][1].update(size=2), r"objects\[1\]\.size is 2"),
        "coords_strings": (lambda s: s["objects"][0].update(pixel_coords=["a", "b"]), r"objects\[0\]\.pixel_coords must be"),
        "coords_too_long": (lambda s: s["objects"][0].update(**{"3d_coords": [1, 2, 3, 4]}), r"objects\[0\]\.3d_coords must be"),
        "box_short": (lambda s: s["objects"][0].update(box=[1, 2, 3]), r"objects\[0\]\.box must be a list of 4"),
        "score_string": (lambda s: s["objects"][0].update(score="high"), r"objects\[0\]\.score must be a finite number"),
        "object_string": (lambda s: s["objects"].__setitem__(1, "cube"), r"objects\[1\] must be an object"),
        "objects_dict": (lambda s: s.__setitem__("objects", {"0": {}}), r"'objects' must be a list"),
        "objects_missing": (lambda s: s.pop("objects"), r"'objects' must be a list"),
        "image_index_string": (lambda s: s.update(image_index="0"), r"'image_index' must be an integer"),
        "image_filename_list": (lambda s: s.update(image_filename=["a.png"]), r"'image_filename' must be a string"),
        "directions_bad": (lambda s: s.update(directions={"left": [1, "x", 0]}), r"'directions' must map"),
        "attribute_probs_bad": (lambda s: s["objects"][0].update(attribute_probs={"color": {"red": 7}}), r"attribute_probs"),
    }
    for name, (fn, match) in bad.items():
        c.json(f"json/scenes_{name}.json", k, {"scenes": [SCENE, _edit(SCENE, fn)]}, "error", match)
    c.json("json/scenes_photo_unknown_class.json", k, {"scenes": [_edit(PHOTO, lambda s: s["objects"][0].update(**{"class": "unicorn"}))]},
           "error", r"objects\[0\]\.class is 'unicorn', not a photo class")
    c.json("json/scenes_photo_shape_list.json", k, {"scenes": [_edit(PHOTO, lambda s: s["objects"][0].update(shape=[]))]},
           "error", r"objects\[0\]\.shape must be a string or null")
    c.json("json/scenes_not_a_list.json", k, {"scenes": {"0": SCENE}}, "error", r"expected a CLEVR scenes file")
    c.json("json/scenes_entry_number.json", k, {"scenes": [SCENE, 3]}, "error", r"scenes\[1\]: a scene must be an object")


CLEVR_Q = {"questions": [{"question_index": n, "image_filename": "CLEVR_corpus_0.png", "image_index": 0, "question": q,
                          "answer": a, "template_filename": "compare_integer.json", "question_family_index": 3}
                         for n, (q, a) in enumerate([("How many cubes are there?", "1"), ("Is there a red cube?", "yes"),
                                                     ("What shape is the cyan thing?", "sphere")])]}


def clevr_questions(c: Corpus) -> None:
    k = "clevr_questions"
    c.json("json/clevr_questions_valid.json", k, CLEVR_Q)
    c.json("json/clevr_questions_no_index.json", k, _edit(CLEVR_Q, lambda d: [q.pop("question_index") for q in d["questions"]]))
    _shared_damage(c, "json/clevr_questions", k, CLEVR_Q)
    bad = {
        "repeated_index": (lambda q: q[2].update(question_index=0), r"questions\[2\] repeats the question_index 0 of questions\[0\]"),
        "string_index": (lambda q: q[1].update(question_index="1"), r"questions\[1\]\.question_index must be an integer, got '1'"),
        "bool_index": (lambda q: q[1].update(question_index=True), r"questions\[1\]\.question_index must be an integer"),
        "float_index": (lambda q: q[1].update(question_index=1.5), r"questions\[1\]\.question_index must be an integer"),
        "absolute_image": (lambda q: q[0].update(image_filename="/etc/passwd"), r"questions\[0\]\.image_filename '/etc/passwd' is an absolute path"),
        "climbing_image": (lambda q: q[0].update(image_filename="../../secret.png"), r"climbs out of the images folder"),
        "windows_climbing_image": (lambda q: q[0].update(image_filename="..\\secret.png"), r"climbs out of the images folder"),
        "drive_image": (lambda q: q[0].update(image_filename="C:secret.png"), r"is an absolute path"),
        "empty_question": (lambda q: q[0].update(question="   "), r"question 0 is empty"),
        "question_number": (lambda q: q[0].update(question=5), r"question 0 needs string fields 'question' and 'image_filename'"),
        "missing_image": (lambda q: q[1].pop("image_filename"), r"question 1 needs string fields"),
    }
    for name, (fn, match) in bad.items():
        c.json(f"json/clevr_questions_{name}.json", k, _edit(CLEVR_Q, lambda d: fn(d["questions"])), "error", match)
    c.json("json/clevr_questions_list_of_numbers.json", k, {"questions": [1, 2]}, "error", r"expected a CLEVR questions file")


VQA_Q = {"data_subtype": "val2014", "questions": [{"question_id": 9000 + n, "image_id": 9, "question": q}
                                                   for n, q in enumerate(["What color is the cat?", "How many cats?"])]}
GQA_Q = {"0101": {"imageId": "n123", "question": "Is the cat brown?"}, "0102": {"imageId": "n124", "question": "What is it?"}}


def photo_questions(c: Corpus) -> None:
    k = "photo_questions:vqav2"
    c.json("json/vqav2_photo_questions_valid.json", k, VQA_Q)
    for name, fn, match in (
            ("bool_id", lambda q: q[0].update(question_id=True), r"question 0 needs the fields"),
            ("negative_image", lambda q: q[1].update(image_id=-9), r"question 1 needs the fields"),
            ("repeated_id", lambda q: q[1].update(question_id=9000), r"questions\[1\] repeats the question_id 9000"),
            ("string_id", lambda q: q[0].update(question_id="9000"), r"question 0 needs the fields"),
            ("missing_question", lambda q: q[0].pop("question"), r"question 0 needs the fields")):
        c.json(f"json/vqav2_photo_questions_{name}.json", k, _edit(VQA_Q, lambda d: fn(d["questions"])), "error", match)
    c.json("json/vqav2_photo_questions_not_a_list.json", k, {"questions": {}}, "error", r"expected a VQA v2 questions file")
    k = "photo_questions:gqa"
    c.json("json/gqa_photo_questions_valid.json", k, GQA_Q)
    for name, image, match in (("climbing", "../../etc/x", r"climbs out of the images folder"),
                               ("absolute", "/etc/hostname", r"is an absolute path"),
                               ("empty", "", r"question 0101 needs the string fields question and imageId")):
        c.json(f"json/gqa_photo_questions_{name}_image.json", k, _edit(GQA_Q, lambda d: d["0101"].update(imageId=image)), "error", match)
    c.json("json/gqa_photo_questions_image_number.json", k, _edit(GQA_Q, lambda d: d["0102"].update(imageId=124)), "error",
           r"question 0102 needs the string fields question and imageId")
    c.json("json/gqa_photo_questions_top_list.json", k, [GQA_Q], "error", r"expected a GQA questions file")


def _answers(a: str) -> list[dict]:
    return [{"answer": a if n < 7 else "other", "answer_confidence": "yes", "answer_id": n + 1} for n in range(10)]


def _gqa_question(answer, entailed, structural):
    return {"imageId": "n1", "question": "Is the cat brown?", "answer": answer, "fullAnswer": "Yes.", "isBalanced": True,
            "groups": {"global": None, "local": "13-cat"}, "entailed": entailed, "equivalent": [],
            "types": {"structural": structural, "semantic": "attr", "detailed": "verifyAttr"},
            "annotations": {"question": {"3": "1"}, "answer": {}, "fullAnswer": {"1": "1"}},
            "semantic": [{"operation": "select", "argument": "cat (1)", "dependencies": []}]}


# the valid inputs of each benchmark's scoring; an eval:<benchmark>:<input> file replaces one of them
EVAL_BASE = {
    "clevr": {"questions": CLEVR_Q, "predictions": [{"question_index": n, "answer": a} for n, a in enumerate(["1", "no", "sphere"])]},
    "vqav2": {"annotations": {"annotations": [{"question_id": 9000 + n, "image_id": 9, "question_type": "what color",
                                               "answer_type": t, "multiple_choice_answer": a, "answers": _answers(a)}
                                              for n, (a, t) in enumerate([("brown", "other"), ("2", "number")])]},
              "questions": VQA_Q, "predictions": [{"question_id": 9000, "answer": "Brown"}, {"question_id": 9001, "answer": "two"}]},
    "gqa": {"questions": {"01": _gqa_question("yes", ["02"], "verify"), "02": _gqa_question("brown", [], "query")},
            "predictions": [{"questionId": "01", "prediction": "yes"}, {"questionId": "02", "prediction": "black"}],
            "choices": {"01": {"valid": ["yes", "no"], "plausible": ["yes", "no"]}, "02": {"valid": ["brown"], "plausible": ["brown"]}},
            "scene_graphs": {"n1": {"width": 100, "height": 80, "objects": {"1": {"name": "cat", "x": 10, "y": 10, "w": 40, "h": 30,
                                                                                  "attributes": ["brown"], "relations": []}}}},
            "attentions": [{"questionId": "01", "attention": [[1 / 49] * 7] * 7}]},
}


def eval_inputs(c: Corpus) -> None:
    for bench, docs in EVAL_BASE.items():
        for role, doc in docs.items():
            c.json(f"json/eval_base/{bench}_{role}.json", f"eval:{bench}:{role}", doc)
    cases = {
        ("clevr", "predictions"): {
            "string_index": (lambda d: d[0].update(question_index="0"), r"predictions\[0\]: 'question_index' must be an int"),
            "answer_null": (lambda d: d[1].update(answer=None), r"predictions\[1\] \(question 1\): 'answer' must be a string"),
            "answered_twice": (lambda d: d.append({"question_index": 0, "answer": "2"}), r"question_index 0 is answered twice"),
            "unknown_index": (lambda d: d.append({"question_index": 77, "answer": "2"}), r"1 predicted question indices are not in"),
            "missing_one": (lambda d: d.pop(), r"1 of 3 questions have no prediction"),
            "wrong_image": (lambda d: d[0].update(image_filename="CLEVR_other.png"), r"predictions\[0\]: image_filename"),
        },
        ("clevr", "questions"): {
            "repeated_index": (lambda d: d["questions"][1].update(question_index=0), r"question_index 0 appears twice"),
            "string_index": (lambda d: d["questions"][1].update(question_index="1"), r"questions\[1\]: 'question_index' must be an int"),
            "answer_number": (lambda d: d["questions"][0].update(answer=1), r"questions\[0\] \(index 0\): 'answer' must be a string"),
            "no_template": (lambda d: d["questions"][2].pop("template_filename"), r"'template_filename' must be a string"),
        },
        ("vqav2", "predictions"): {
            "string_id": (lambda d: d[0].update(question_id="9000"), r"results\[0\]: 'question_id' must be an int"),
            "bool_id": (lambda d: d[0].update(question_id=True), r"results\[0\]: 'question_id' must be an int"),
            "answer_list": (lambda d: d[1].update(answer=["2"]), r"results\[1\] \(question 9001\): 'answer' must be a string"),
            "missing_one": (lambda d: d.pop(), r"1 of 2 annotated questions have no result"),
            "unknown_id": (lambda d: d.append({"question_id": 1, "answer": "x"}), r"1 result question ids are not in the annotations"),
            "not_objects": (lambda d: d.__setitem__(0, "brown"), r"results\[0\] must be an object"),
        },
        ("vqav2", "annotations"): {
            "no_answers": (lambda d: d["annotations"][0].pop("answers"), r"annotations\['annotations'\]\[0\] \(question 9000\): 'answers'"),
            "empty_answers": (lambda d: d["annotations"][0].update(answers=[]), r"'answers' must be a non-empty list"),
            "answer_number": (lambda d: d["annotations"][1]["answers"][3].update(answer=2), r"answers\[3\] must be an object with a string 'answer'"),
            "string_id": (lambda d: d["annotations"][1].update(question_id="9001"), r"annotations\['annotations'\]\[1\]: 'question_id' must be an int"),
            "answer_type_null": (lambda d: d["annotations"][0].update(answer_type=None), r"'answer_type' must be a string"),
            "no_list": (lambda d: d.pop("annotations"), r"annotations must be an object with an 'annotations' list"),
        },
        ("vqav2", "questions"): {
            "string_id": (lambda d: d["questions"][0].update(question_id="9000"), r"questions\['questions'\]\[0\]: 'question_id' must be an int"),
            "one_missing": (lambda d: d["questions"].pop(), r"1 annotated question ids are not in the questions file"),
            "no_list": (lambda d: d.pop("questions"), r"questions must be an object with a 'questions' list"),
        },
        ("gqa", "predictions"): {
            "number_id": (lambda d: d[0].update(questionId=1), r"predictions\[0\]: 'questionId' must be a string"),
            "prediction_null": (lambda d: d[1].update(prediction=None), r"predictions\[1\] \(question '02'\): 'prediction' must be a string"),
            "missing_balanced": (lambda d: d.pop(0), r"missing predictions: 1 of 2 balanced questions"),
            "missing_entailed": (lambda d: d.pop(), r"missing predictions: (1 of 2 balanced|entailed question '02')"),
        },
        ("gqa", "questions"): {
            "structural_list": (lambda d: d["01"]["types"].update(structural=[]), r"questions\['01'\]: 'types' needs the strings"),
            "global_list": (lambda d: d["01"]["groups"].update({"global": []}), r"questions\['01'\]: 'groups' needs 'global'"),
            "no_types": (lambda d: d["02"].pop("types"), r"questions\['02'\] lacks 'types'"),
            "no_balanced": (lambda d: d["02"].pop("isBalanced"), r"questions\['02'\] must be an object with 'isBalanced'"),
            "entailed_number": (lambda d: d["01"].update(entailed=[2]), r"'entailed' must be a list of question ids"),
            "semantic_bad": (lambda d: d["01"].update(semantic=[{"op": 1}]), r"semantic operation .* lacks operation/argument"),
            "image_list": (lambda d: d["01"].update(imageId=[]), r"questions\['01'\]: 'imageId' must be a string"),
            "pointers_bad": (lambda d: d["01"]["annotations"].update(question=[]), r"'annotations' needs question and fullAnswer"),
            "entailed_absent": (lambda d: d["01"].update(entailed=["99"]), r"entailed question '99' \(of '01'\) is not in the questions file"),
        },
        ("gqa", "choices"): {
            "valid_string": (lambda d: d["02"].update(valid="brown"), r"choices\['02'\] must be"),
            "missing_entry": (lambda d: d.pop("01"), r"choices\['01'\] must be"),
        },
        ("gqa", "scene_graphs"): {
            "image_missing": (lambda d: d.pop("n1"), r"grounding: image 'n1' of question '01' is not in the scene graphs"),
            "width_zero": (lambda d: d["n1"].update(width=0), r"scene graph 'n1': 'width' must be a positive number"),
            "object_missing": (lambda d: d["n1"]["objects"].pop("1"), r"grounding: object '1' of question '01' is not in scene graph 'n1'"),
            "box_string": (lambda d: d["n1"]["objects"]["1"].update(x="10"), r"objects\['1'\] needs the numbers x, y, w and h"),
            "objects_list": (lambda d: d["n1"].update(objects=[]), r"'objects' must map object ids to objects"),
        },
        ("gqa", "attentions"): {
            "ragged": (lambda d: d[0].update(attention=[[1.0], [1.0, 2.0]]), r"attentions\['01'\] must be a non-empty rectangular"),
            "id_list": (lambda d: d[0].update(questionId=[]), r"attentions\[0\]: 'questionId' must be a string"),
            "strings": (lambda d: d[0].update(attention=[["a"]]), r"attentions\['01'\] must be a non-empty rectangular"),
        },
    }
    for (bench, role), edits in cases.items():
        for name, (fn, match) in edits.items():
            c.json(f"json/eval_{bench}_{role}_{name}.json", f"eval:{bench}:{role}", _edit(EVAL_BASE[bench][role], fn), "error", match)
        if role in ("predictions", "annotations"):
            _shared_damage(c, f"json/eval_{bench}_{role}", f"eval:{bench}:{role}", EVAL_BASE[bench][role])
    c.json("json/eval_vqav2_predictions_nan.json", "eval:vqav2:predictions", None, "error", r"holds NaN",
           raw=b'[{"question_id": 9000, "answer": NaN}]')


def batch_rows(c: Corpus) -> None:
    k = "batch_rows"
    c.add("rows/valid.jsonl", k, b'{"image": "a.png", "question": "Is there a cube?"}\n\n{"image": "b.png", "question": "Why?"}\n')
    c.add("rows/valid.csv", k, b'image,question\na.png,Is there a cube?\nb.png,"Red, or blue?"\n')
    c.add("rows/bom.csv", k, b'\xef\xbb\xbfimage,question\na.png,Is there a cube?\n')
    c.add("rows/bad_header.csv", k, b"picture,text\na.png,Q?\n", "error", r"the first line must be the header 'image,question'")
    c.add("rows/three_fields.csv", k, b"image,question\na.png,Red,blue?\n", "error", r":2: expected 2 fields")
    c.add("rows/latin1.csv", k, b"image,question\na.png,Caf\xe9?\n", "error", r"is not UTF-8 text")
    c.add("rows/deep.jsonl", k, b"[" * 5000 + b"]" * 5000 + b"\n", "error", r":1: not JSON")
    c.add("rows/not_json.jsonl", k, b'{"image": "a.png", "question": \n', "error", r":1: not JSON")
    c.add("rows/image_number.jsonl", k, b'{"image": 3, "question": "Q?"}\n', "error", r':1: expected an object with the strings')
    c.add("rows/empty.jsonl", k, b"\n\n", "error", r"has no rows")


def main() -> None:
    c = Corpus()
    for part in (images, scenes, clevr_questions, photo_questions, eval_inputs, batch_rows):
        part(c)
    if OUT.exists():
        for path in sorted(OUT.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    for name, data in c.files.items():
        path = OUT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (HERE / "manifest.json").write_text(json.dumps(c.entries, indent=1) + "\n")
    total = sum(map(len, c.files.values()))
    print(f"wrote {len(c.entries)} files ({total / 1024:.0f} KiB) to {os.path.relpath(OUT)} and manifest.json")


if __name__ == "__main__":
    main()
