#include "smp/image/image_io.h"

#include <lcms2.h>
#include <libexif/exif-data.h>
#include <libheif/heif.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "smp/core/errors.h"
#include "smp/core/files.h"

namespace smp {
namespace {

constexpr char kMarker[] = "smp:simulated";

uint32_t be32(const uint8_t* p) { return (p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }
uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t le32(const uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24); }
uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// What the container says before any pixel is decoded.
struct Header {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> icc;   // embedded colour profile, if any
  std::vector<uint8_t> exif;  // raw EXIF block starting with "Exif\0\0", if any
  bool complete = true;       // the container's end marker is present
  bool simulated = false;
};

// Walks JPEG segments: frame size, ICC chunks (APP2), EXIF (APP1), and whether EOI is reached
// (OpenCV only warns on a truncated JPEG and returns grey rows).
Header parse_jpeg(const std::vector<uint8_t>& b) {
  Header h;
  h.complete = false;
  std::vector<std::pair<int, std::vector<uint8_t>>> icc_chunks;
  size_t i = 2, n = b.size();
  while (i + 2 <= n) {
    if (b[i] != 0xFF) {  // inside entropy-coded data: skip to the next real marker
      ++i;
      continue;
    }
    uint8_t m = b[i + 1];
    if (m == 0xFF) { ++i; continue; }
    if (m == 0x00 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) { i += 2; continue; }
    if (m == 0xD9) { h.complete = true; break; }
    if (i + 4 > n) break;
    size_t len = be16(&b[i + 2]);
    if (len < 2 || i + 2 + len > n) break;  // truncated inside a segment
    const uint8_t* seg = &b[i + 4];
    size_t slen = len - 2;
    bool sof = (m >= 0xC0 && m <= 0xCF) && m != 0xC4 && m != 0xC8 && m != 0xCC;
    if (sof && slen >= 5) {
      h.height = be16(seg + 1);
      h.width = be16(seg + 3);
    } else if (m == 0xE2 && slen > 14 && std::memcmp(seg, "ICC_PROFILE\0", 12) == 0) {
      icc_chunks.push_back({seg[12], std::vector<uint8_t>(seg + 14, seg + slen)});
    } else if (m == 0xE1 && slen > 6 && std::memcmp(seg, "Exif\0\0", 6) == 0 && h.exif.empty()) {
      h.exif.assign(seg, seg + slen);
    } else if (m == 0xFE && slen >= sizeof(kMarker) - 1 &&
               std::memcmp(seg, kMarker, sizeof(kMarker) - 1) == 0) {
      h.simulated = true;
    }
    i += 2 + len;
    if (m == 0xDA) {  // start of scan: entropy data follows until the next marker
      while (i + 1 < n && !(b[i] == 0xFF && b[i + 1] != 0x00 && !(b[i + 1] >= 0xD0 && b[i + 1] <= 0xD7)))
        ++i;
    }
  }
  std::sort(icc_chunks.begin(), icc_chunks.end(),
            [](auto& a, auto& c) { return a.first < c.first; });
  for (auto& c : icc_chunks) h.icc.insert(h.icc.end(), c.second.begin(), c.second.end());
  return h;
}

std::vector<uint8_t> inflate_bytes(const uint8_t* p, size_t n) {
  std::vector<uint8_t> out(std::max<size_t>(n * 4, 1 << 16));
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return {};
  zs.next_in = const_cast<uint8_t*>(p);
  zs.avail_in = static_cast<uInt>(n);
  int rc;
  do {
    if (zs.total_out >= out.size()) out.resize(out.size() * 2);
    zs.next_out = out.data() + zs.total_out;
    zs.avail_out = static_cast<uInt>(out.size() - zs.total_out);
    rc = inflate(&zs, Z_NO_FLUSH);
  } while (rc == Z_OK && out.size() < (64u << 20));
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::vector<uint8_t>{};
}

Header parse_png(const std::vector<uint8_t>& b) {
  Header h;
  h.complete = false;
  size_t i = 8, n = b.size();
  while (i + 12 <= n) {
    uint32_t len = be32(&b[i]);
    const uint8_t* type = &b[i + 4];
    if (i + 12 + size_t(len) > n) break;
    const uint8_t* d = &b[i + 8];
    if (!std::memcmp(type, "IHDR", 4) && len >= 8) {
      h.width = be32(d);
      h.height = be32(d + 4);
    } else if (!std::memcmp(type, "iCCP", 4)) {
      size_t k = 0;
      while (k < len && d[k]) ++k;  // profile name, then NUL, then method byte
      if (k + 2 < len) h.icc = inflate_bytes(d + k + 2, len - k - 2);
    } else if (!std::memcmp(type, "eXIf", 4)) {
      h.exif.assign({'E', 'x', 'i', 'f', 0, 0});
      h.exif.insert(h.exif.end(), d, d + len);
    } else if (!std::memcmp(type, "tEXt", 4) && len >= sizeof(kMarker) - 1 &&
               !std::memcmp(d, kMarker, sizeof(kMarker) - 1)) {
      h.simulated = true;
    } else if (!std::memcmp(type, "IEND", 4)) {
      h.complete = true;
      break;
    }
    i += 12 + len;
  }
  return h;
}

Header parse_webp(const std::vector<uint8_t>& b) {
  Header h;
  size_t n = b.size();
  if (n < 30) { h.complete = false; return h; }
  h.complete = n >= size_t(le32(&b[4])) + 8;
  size_t i = 12;
  while (i + 8 <= n) {
    const uint8_t* id = &b[i];
    uint32_t len = le32(&b[i + 4]);
    const uint8_t* d = &b[i + 8];
    size_t avail = n - (i + 8);
    if (!std::memcmp(id, "VP8X", 4) && avail >= 10) {
      h.width = 1 + (d[4] | (d[5] << 8) | (d[6] << 16));
      h.height = 1 + (d[7] | (d[8] << 8) | (d[9] << 16));
    } else if (!std::memcmp(id, "VP8 ", 4) && avail >= 10 && h.width == 0) {
      h.width = le16(d + 6) & 0x3FFF;
      h.height = le16(d + 8) & 0x3FFF;
    } else if (!std::memcmp(id, "VP8L", 4) && avail >= 5 && h.width == 0) {
      uint32_t bits = le32(d + 1);
      h.width = (bits & 0x3FFF) + 1;
      h.height = ((bits >> 14) & 0x3FFF) + 1;
    } else if (!std::memcmp(id, "ICCP", 4) && avail >= len) {
      h.icc.assign(d, d + len);
    } else if (!std::memcmp(id, "EXIF", 4) && avail >= len) {
      h.exif.assign({'E', 'x', 'i', 'f', 0, 0});
      h.exif.insert(h.exif.end(), d, d + len);
    }
    i += 8 + len + (len & 1);
  }
  return h;
}

Header parse_tiff(const std::vector<uint8_t>& b) {
  Header h;
  bool le = b[0] == 'I';
  auto u16 = [&](size_t o) -> uint32_t { return o + 2 <= b.size() ? (le ? le16(&b[o]) : be16(&b[o])) : 0; };
  auto u32 = [&](size_t o) -> uint32_t { return o + 4 <= b.size() ? (le ? le32(&b[o]) : be32(&b[o])) : 0; };
  size_t ifd = u32(4);
  if (ifd + 2 > b.size()) { h.complete = false; return h; }
  uint32_t count = u16(ifd);
  for (uint32_t k = 0; k < count && ifd + 2 + 12 * (k + 1) <= b.size(); ++k) {
    size_t e = ifd + 2 + 12 * k;
    uint32_t tag = u16(e), type = u16(e + 2), cnt = u32(e + 4);
    uint32_t val = type == 3 ? u16(e + 8) : u32(e + 8);
    if (tag == 256) h.width = val;
    if (tag == 257) h.height = val;
    if (tag == 34675 && val + size_t(cnt) <= b.size()) h.icc.assign(b.begin() + val, b.begin() + val + cnt);
  }
  return h;
}

bool is_heif(const std::vector<uint8_t>& b) {
  if (b.size() < 12 || std::memcmp(&b[4], "ftyp", 4) != 0) return false;
  static const char* brands[] = {"heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", "avif"};
  for (const char* br : brands)
    if (std::memcmp(&b[8], br, 4) == 0) return true;
  return false;
}

int exif_orientation(const std::vector<uint8_t>& exif) {
  if (exif.size() < 8) return 1;
  std::unique_ptr<ExifData, void (*)(ExifData*)> ed(exif_data_new_from_data(exif.data(), exif.size()),
                                                    exif_data_unref);
  if (!ed) return 1;
  ExifEntry* e = exif_data_get_entry(ed.get(), EXIF_TAG_ORIENTATION);
  if (!e || e->format != EXIF_FORMAT_SHORT || e->components < 1) return 1;
  int o = exif_get_short(e->data, exif_data_get_byte_order(ed.get()));
  return (o >= 1 && o <= 8) ? o : 1;
}

cv::Mat apply_orientation(const cv::Mat& m, int o) {
  cv::Mat r;
  switch (o) {
    case 2: cv::flip(m, r, 1); return r;
    case 3: cv::rotate(m, r, cv::ROTATE_180); return r;
    case 4: cv::flip(m, r, 0); return r;
    case 5: cv::transpose(m, r); return r;
    case 6: cv::rotate(m, r, cv::ROTATE_90_CLOCKWISE); return r;
    case 7: cv::transpose(m, r); cv::rotate(r, r, cv::ROTATE_180); return r;
    case 8: cv::rotate(m, r, cv::ROTATE_90_COUNTERCLOCKWISE); return r;
    default: return m;
  }
}

// Converts BGR 8-bit pixels from an embedded RGB profile to sRGB. Returns false (and leaves the
// pixels) when the profile is unusable, not RGB, or already sRGB.
bool convert_icc_to_srgb(cv::Mat& bgr8, const std::vector<uint8_t>& icc) {
  if (icc.size() < 128) return false;
  cmsHPROFILE src = cmsOpenProfileFromMem(icc.data(), static_cast<cmsUInt32Number>(icc.size()));
  if (!src) return false;
  bool done = false;
  if (cmsGetColorSpace(src) == cmsSigRgbData) {
    char desc[256] = {0};
    cmsGetProfileInfoASCII(src, cmsInfoDescription, "en", "US", desc, sizeof(desc));
    std::string d(desc);
    if (d.find("sRGB") == std::string::npos) {
      cmsHPROFILE dst = cmsCreate_sRGBProfile();
      cmsHTRANSFORM t = cmsCreateTransform(src, TYPE_BGR_8, dst, TYPE_BGR_8, INTENT_PERCEPTUAL, 0);
      if (t) {
        for (int y = 0; y < bgr8.rows; ++y) cmsDoTransform(t, bgr8.ptr(y), bgr8.ptr(y), bgr8.cols);
        cmsDeleteTransform(t);
        done = true;
      }
      cmsCloseProfile(dst);
    }
  }
  cmsCloseProfile(src);
  return done;
}

void check_size(const std::string& name, int64_t w, int64_t h) {
  if (w <= 0 || h <= 0) return;  // unknown from the header: the decoder decides
  if (w * h > kMaxPhotoPixels)
    throw InputError(name, "image is " + std::to_string(w) + "x" + std::to_string(h) + " (" +
                               std::to_string(w * h / 1000000) +
                               " megapixels), more than the 100 megapixels we accept");
}

// Any depth and channel count -> 8-bit BGR. Alpha is composited over white (a cut-out photo on
// a transparent background reads as a studio backdrop, not black).
cv::Mat to_bgr8(const cv::Mat& in) {
  cv::Mat m = in;
  if (m.depth() == CV_16U) m.convertTo(m, CV_8U, 1.0 / 257.0);
  else if (m.depth() == CV_32F || m.depth() == CV_64F) m.convertTo(m, CV_8U, 255.0);
  else if (m.depth() != CV_8U) m.convertTo(m, CV_8U);
  cv::Mat out;
  if (m.channels() == 1) {
    cv::cvtColor(m, out, cv::COLOR_GRAY2BGR);
  } else if (m.channels() == 2 || m.channels() == 4) {
    std::vector<cv::Mat> ch;
    cv::split(m, ch);
    cv::Mat alpha = ch.back(), colour;
    if (m.channels() == 2) cv::cvtColor(ch[0], colour, cv::COLOR_GRAY2BGR);
    else cv::merge(std::vector<cv::Mat>{ch[0], ch[1], ch[2]}, colour);
    cv::Mat a, a3, c;
    alpha.convertTo(a, CV_32F, 1.0 / 255.0);
    cv::merge(std::vector<cv::Mat>{a, a, a}, a3);
    colour.convertTo(c, CV_32F);
    cv::Mat blended = c.mul(a3) + (cv::Scalar::all(1.0) - a3) * 255.0;
    blended.convertTo(out, CV_8U);
  } else {
    out = m;
  }
  return out;
}

cv::Mat decode_heif(const std::vector<uint8_t>& b, const std::string& name, Header& h) {
  heif_context* ctx = heif_context_alloc();
  std::unique_ptr<heif_context, void (*)(heif_context*)> guard(ctx, heif_context_free);
  heif_error err = heif_context_read_from_memory_without_copy(ctx, b.data(), b.size(), nullptr);
  if (err.code != heif_error_Ok) throw InputError(name, std::string("HEIF file is damaged: ") + err.message);
  heif_image_handle* handle = nullptr;
  err = heif_context_get_primary_image_handle(ctx, &handle);
  if (err.code != heif_error_Ok) throw InputError(name, std::string("HEIF file has no image: ") + err.message);
  std::unique_ptr<heif_image_handle, void (*)(const heif_image_handle*)> hg(handle, heif_image_handle_release);
  h.width = heif_image_handle_get_width(handle);
  h.height = heif_image_handle_get_height(handle);
  check_size(name, h.width, h.height);
  size_t icc_size = heif_image_handle_get_raw_color_profile_size(handle);
  if (icc_size > 0) {
    h.icc.resize(icc_size);
    heif_image_handle_get_raw_color_profile(handle, h.icc.data());
  }
  heif_image* img = nullptr;
  // libheif applies the container's rotation / mirror (irot/imir) itself.
  err = heif_decode_image(handle, &img, heif_colorspace_RGB, heif_chroma_interleaved_RGB, nullptr);
  if (err.code != heif_error_Ok)
    throw InputError(name, std::string("HEIF image cannot be decoded: ") + err.message);
  std::unique_ptr<heif_image, void (*)(const heif_image*)> ig(img, heif_image_release);
  int stride = 0;
  const uint8_t* data = heif_image_get_plane_readonly(img, heif_channel_interleaved, &stride);
  int w = heif_image_get_width(img, heif_channel_interleaved);
  int hh = heif_image_get_height(img, heif_channel_interleaved);
  cv::Mat rgb(hh, w, CV_8UC3, const_cast<uint8_t*>(data), stride), bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

}  // namespace

std::string sniff_format(const std::vector<uint8_t>& b) {
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "jpeg";
  if (b.size() >= 8 && !std::memcmp(b.data(), "\x89PNG\r\n\x1a\n", 8)) return "png";
  if (b.size() >= 12 && !std::memcmp(b.data(), "RIFF", 4) && !std::memcmp(&b[8], "WEBP", 4)) return "webp";
  if (b.size() >= 8 && (!std::memcmp(b.data(), "II*\0", 4) || !std::memcmp(b.data(), "MM\0*", 4))) return "tiff";
  if (is_heif(b)) return "heif";
  return "";
}

Photo decode_photo(const std::vector<uint8_t>& bytes, const std::string& name) {
  if (bytes.empty()) throw InputError(name, "file is empty");
  Photo photo;
  photo.source = name;
  photo.format = sniff_format(bytes);
  if (photo.format.empty())
    throw InputError(name, "not an image (expected JPEG, PNG, WebP, TIFF or HEIC)");
  Header h;
  cv::Mat raw;
  if (photo.format == "heif") {
    raw = decode_heif(bytes, name, h);
  } else {
    if (photo.format == "jpeg") h = parse_jpeg(bytes);
    else if (photo.format == "png") h = parse_png(bytes);
    else if (photo.format == "webp") h = parse_webp(bytes);
    else h = parse_tiff(bytes);
    check_size(name, h.width, h.height);
    if (!h.complete) throw InputError(name, "image file is truncated (its end is missing)");
    try {
      raw = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& e) {
      throw InputError(name, "image cannot be decoded (damaged file)");
    }
    if (raw.empty()) throw InputError(name, "image cannot be decoded (damaged or unsupported file)");
  }
  photo.source_bit_depth = raw.depth() == CV_16U ? 16 : (raw.depth() == CV_32F ? 32 : 8);
  photo.source_channels = raw.channels();
  photo.simulated = h.simulated;
  cv::Mat bgr = to_bgr8(raw);
  photo.icc_converted = convert_icc_to_srgb(bgr, h.icc);
  if (photo.format != "heif") {
    photo.exif_orientation = exif_orientation(h.exif);
    bgr = apply_orientation(bgr, photo.exif_orientation);
  }
  if (bgr.cols < 16 || bgr.rows < 16)
    throw InputError(name, "image is too small (" + std::to_string(bgr.cols) + "x" +
                               std::to_string(bgr.rows) + " pixels)");
  photo.bgr = bgr.isContinuous() ? bgr : bgr.clone();
  return photo;
}

Photo read_photo(const std::string& path) { return decode_photo(read_file_bytes(path), path); }

namespace {
void put_be32(std::vector<uint8_t>& v, size_t at, uint32_t x) {
  v[at] = x >> 24; v[at + 1] = (x >> 16) & 0xFF; v[at + 2] = (x >> 8) & 0xFF; v[at + 3] = x & 0xFF;
}
}  // namespace

std::vector<uint8_t> encode_image(const cv::Mat& bgr8, const std::string& path_or_ext,
                                  const EncodeOptions& opt) {
  SMP_CHECK(!bgr8.empty());
  std::string ext = file_extension(path_or_ext);
  if (ext.empty()) ext = path_or_ext;
  std::vector<int> params;
  std::string cvext;
  if (ext == "jpg" || ext == "jpeg") {
    cvext = ".jpg";
    params = {cv::IMWRITE_JPEG_QUALITY, opt.jpeg_quality};
  } else if (ext == "png") {
    cvext = ".png";
    params = {cv::IMWRITE_PNG_COMPRESSION, 3};
  } else if (ext == "webp") {
    cvext = ".webp";
    params = {cv::IMWRITE_WEBP_QUALITY, opt.jpeg_quality};
  } else if (ext == "tif" || ext == "tiff") {
    cvext = ".tif";
  } else {
    throw UsageError("cannot write '" + path_or_ext +
                     "': use a .jpg, .png, .webp or .tif file name");
  }
  if (opt.mark_simulated && cvext != ".jpg" && cvext != ".png")
    throw UsageError("cannot write '" + path_or_ext +
                     "': a simulated result is written as .jpg or .png so it carries its marker");
  std::vector<uint8_t> out;
  if (!cv::imencode(cvext, bgr8, out, params)) throw InternalError("encoder failed for " + path_or_ext);
  if (opt.mark_simulated) {
    const std::string text = std::string(kMarker) + std::string(1, '\0') +
           "Simulated result (SMP Studio), not a photograph";
    if (cvext == ".png") {  // tEXt chunk right after IHDR (8 + 25 bytes)
      std::vector<uint8_t> chunk(12 + text.size());
      put_be32(chunk, 0, static_cast<uint32_t>(text.size()));
      std::memcpy(&chunk[4], "tEXt", 4);
      std::memcpy(&chunk[8], text.data(), text.size());
      uLong crc = crc32(0, &chunk[4], static_cast<uInt>(4 + text.size()));
      put_be32(chunk, 8 + text.size(), static_cast<uint32_t>(crc));
      out.insert(out.begin() + 33, chunk.begin(), chunk.end());
    } else {  // COM segment right after SOI
      std::string com = std::string(kMarker) + " Simulated result (SMP Studio), not a photograph";
      std::vector<uint8_t> seg = {0xFF, 0xFE, 0, 0};
      uint16_t len = static_cast<uint16_t>(com.size() + 2);
      seg[2] = len >> 8;
      seg[3] = len & 0xFF;
      seg.insert(seg.end(), com.begin(), com.end());
      out.insert(out.begin() + 2, seg.begin(), seg.end());
    }
  }
  return out;
}

void write_image(const std::string& path, const cv::Mat& bgr8, const EncodeOptions& opt) {
  write_file_atomic(path, encode_image(bgr8, path, opt));
}

bool has_simulation_marker(const std::vector<uint8_t>& bytes) {
  std::string f = sniff_format(bytes);
  if (f == "jpeg") return parse_jpeg(bytes).simulated;
  if (f == "png") return parse_png(bytes).simulated;
  return false;
}

}  // namespace smp
