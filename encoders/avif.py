"""AVIF through Pillow's libavif (Pillow 11.3 and newer ship it in their wheels)."""

from __future__ import annotations

import numpy as np

from encoders._common import (
    Box, EncoderError, Probe, check_int, check_quality, field, only_box, pil_decode, pil_metadata, pil_encode, probe_view, read_boxes, require,
)

NAME = "avif"
FORMAT = "AVIF"  # Pillow's plugin name
MAX_DIMENSION = 32768  # pixels a side the format takes
EXTENSION = ".avif"
INSTALL_HINT = "Pillow>=11.3 with AVIF support: pip install 'pillow>=11.3'"

try:
    from PIL import features as _features

    available = bool(_features.check("avif"))
except (ImportError, ValueError):  # older Pillow does not know the feature name
    available = False


def _require() -> None:
    require(NAME, available, INSTALL_HINT)


def version() -> str:
    _require()
    from PIL import features

    return "libavif " + str(features.version("avif"))


def check(data: bytes) -> bool:
    return bytes(data[4:8]) == b"ftyp" and bytes(data[8:12]) in (b"avif", b"avis")


def encode(image: np.ndarray, /, quality: int = 60, *, speed: int = 6, subsampling: str = "4:2:0",
           metadata: dict | None = None) -> bytes:
    """Encode uint8 HxW or HxWx3 to AVIF; `speed` 0 (slowest, smallest) .. 10."""
    _require()
    quality = check_quality(quality, 0, 100)
    return pil_encode(image, FORMAT, MAX_DIMENSION, quality=quality, speed=check_int("speed", speed, 0, 10), subsampling=subsampling,
                      metadata=metadata)


def decode(data: bytes) -> np.ndarray:
    _require()
    return pil_decode(data, NAME, FORMAT, check)


def metadata(data: bytes) -> dict:
    return pil_metadata(data, NAME, FORMAT, check)


def probe(data: bytes) -> Probe:
    """Width, height and end (the sum of the top-level boxes) of an AVIF still image, read from
    its primary item's 'ispe' property without decoding. The size is as stored: Pillow's decoder
    returns an 'irot'/'imir' image unrotated (it reports the rotation as an EXIF orientation).
    Raises EncoderError for a malformed or cut-off box, an image sequence ('moov'), a missing
    pitm/iloc/iprp/ipco/ispe, a 'clap' crop, or primary item data beyond the last box."""
    view = probe_view(data, NAME, check)
    top, end = read_boxes(view, 0, len(view), "avif", trailing=True)
    if not top or top[0].type != b"ftyp":
        raise EncoderError("avif: the data does not start with a complete 'ftyp' box")
    if any(box.type == b"moov" for box in top):
        raise EncoderError("avif: image sequences ('moov' box) are not supported")
    meta = only_box(top, b"meta", "avif top level")
    children, _ = read_boxes(view, _full_box(view, meta)[2], meta.end, "avif meta")
    pitm = only_box(children, b"pitm", "avif meta")
    version, _, pos = _full_box(view, pitm)
    item = field(view, pos, 2 if version == 0 else 4, "avif: pitm item id", pitm.end)
    iprp = only_box(children, b"iprp", "avif meta")
    iprp, _ = read_boxes(view, iprp.payload, iprp.end, "avif iprp")
    ipco = only_box(iprp, b"ipco", "avif iprp")
    ipco, _ = read_boxes(view, ipco.payload, ipco.end, "avif ipco")
    size = None
    for index in _associations(view, [box for box in iprp if box.type == b"ipma"], item):
        if index > len(ipco):
            raise EncoderError(f"avif: item {item} names property {index}; 'ipco' holds {len(ipco)}")
        prop = ipco[index - 1]
        if prop.type == b"clap":
            raise EncoderError("avif: the primary item is cropped ('clap'), which is not supported")
        if prop.type == b"ispe":
            if size is not None:
                raise EncoderError(f"avif: item {item} has two 'ispe' properties")
            pos = _full_box(view, prop)[2]
            size = field(view, pos, 4, "avif: ispe width", prop.end), field(view, pos + 4, 4, "avif: ispe height", prop.end)
    if size is None:
        raise EncoderError(f"avif: the primary item {item} has no ispe property")
    if 0 in size:
        raise EncoderError(f"avif: the primary item {item} has size {size[0]}x{size[1]}")
    _check_extents(view, children, item, end)
    return Probe(*size, end)


def _full_box(view: memoryview, box: Box) -> tuple[int, int, int]:
    """(version, flags, offset after them) of an ISO BMFF FullBox."""
    word = field(view, box.payload, 4, f"avif: version and flags of {box.type.decode('latin-1')!r}", box.end)
    return word >> 24, word & 0xFFFFFF, box.payload + 4


def _associations(view: memoryview, ipmas: list[Box], item: int) -> list[int]:
    """The 1-based 'ipco' indices 'ipma' associates with `item` (index 0, "none", left out)."""
    found = None
    for ipma in ipmas:
        version, flags, pos = _full_box(view, ipma)
        id_size, index_size = (2 if version == 0 else 4), (2 if flags & 1 else 1)
        pos += 4
        for _ in range(field(view, pos - 4, 4, "avif: ipma entry count", ipma.end)):  # each entry reads >= 3 bytes
            entry = field(view, pos, id_size, "avif: ipma item id", ipma.end)
            count = field(view, pos + id_size, 1, "avif: ipma association count", ipma.end)
            pos += id_size + 1
            if pos + count * index_size > ipma.end:
                raise EncoderError(f"avif: ipma entry for item {entry} at offset {pos} runs past its box")
            if entry == item:
                if found is not None:
                    raise EncoderError(f"avif: item {item} has two 'ipma' entries")
                mask = 0x7FFF if index_size == 2 else 0x7F  # the top bit marks an essential property
                stops = range(pos, pos + count * index_size, index_size)
                found = [int.from_bytes(view[at : at + index_size], "big") & mask for at in stops]
            pos += count * index_size
    if found is None:
        raise EncoderError(f"avif: the primary item {item} has no 'ipma' entry")
    return [index for index in found if index]


def _check_extents(view: memoryview, meta: list[Box], item: int, end: int) -> None:
    """Raise EncoderError unless `item`'s data ('iloc' extents in the file or in 'idat') lies
    inside the boxes: so a file cut anywhere, even between boxes, is refused."""
    iloc = only_box(meta, b"iloc", "avif meta")
    version, _, pos = _full_box(view, iloc)
    stop = iloc.end
    if version > 2:
        raise EncoderError(f"avif: iloc version {version}, expected 0..2")
    sizes = field(view, pos, 2, "avif: iloc field sizes", stop)
    offset_size, length_size, base_size = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    index_size = sizes & 15 if version else 0
    if any(n not in (0, 4, 8) for n in (offset_size, length_size, base_size, index_size)):
        raise EncoderError(f"avif: iloc field sizes 0x{sizes:04x} are not each 0, 4 or 8")
    wide = 4 if version == 2 else 2
    pos, extent_size, extents = pos + 2 + wide, index_size + offset_size + length_size, None
    for _ in range(field(view, pos - wide, wide, "avif: iloc item count", stop)):  # each item reads >= 6 bytes
        entry = field(view, pos, wide, "avif: iloc item id", stop)
        method = field(view, pos + wide, 2, "avif: iloc construction method", stop) & 15 if version else 0
        pos += wide + (2 if version else 0)
        reference = field(view, pos, 2, "avif: iloc data reference", stop)
        base = field(view, pos + 2, base_size, "avif: iloc base offset", stop)
        count = field(view, pos + 2 + base_size, 2, "avif: iloc extent count", stop)
        pos += 4 + base_size
        if pos + count * extent_size > stop:
            raise EncoderError(f"avif: iloc extents of item {entry} at offset {pos} run past the box")
        if entry == item:
            if extents is not None:
                raise EncoderError(f"avif: item {item} has two 'iloc' entries")
            if reference or method > 1:
                raise EncoderError(f"avif: item {item}'s data is external or constructed (method {method}): not supported")
            # extent fields of size 0 read as 0, so all such extents are one: (base, to the end)
            starts = range(pos, pos + count * extent_size, extent_size) if extent_size else range(pos, pos + min(count, 1))
            extents = [(base + int.from_bytes(view[at + index_size : at + index_size + offset_size], "big"),
                        int.from_bytes(view[at + index_size + offset_size : at + extent_size], "big")) for at in starts]
            limit = end
            if method == 1:
                idat = only_box(meta, b"idat", "avif meta")
                extents, limit = [(idat.payload + offset, length) for offset, length in extents], idat.end
        pos += count * extent_size
    if not extents:
        raise EncoderError(f"avif: the primary item {item} has no data in 'iloc'")
    for offset, length in extents:  # length 0: to the end
        if offset + length > limit:
            raise EncoderError(f"avif: item {item}'s data at offset {offset} (length {length}) runs past the boxes' end at {limit}")
