// Photo intake: every fixture is made here, in code (OpenCV encoders, hand-built containers,
// libjpeg, lcms2 profiles, libheif), or with imagemagick when installed (CMYK JPEG; skipped
// otherwise). smp reads and writes through the codec libraries directly; OpenCV's imgcodecs
// (linked by the tests only) is the reference its pixels are checked against.
#include "smp/image/image_io.h"

#include <gtest/gtest.h>
// jpeglib.h needs FILE and size_t declared first.
// clang-format off
#include <cstdio>
#include <jpeglib.h>
// clang-format on
#include <lcms2.h>
#include <libheif/heif.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "smp/core/errors.h"
#include "smp/core/files.h"
#include "smp/image/codecs.h"
#include "test_support.h"

namespace smp {
namespace {

using Bytes = std::vector<uint8_t>;

// A small photo-like test card: a gradient with four different corner patches (so every flip
// and rotation is distinguishable).
cv::Mat test_card(int w = 96, int h = 64) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      m.at<cv::Vec3b>(y, x) = cv::Vec3b(uint8_t(40 + x), uint8_t(60 + y), uint8_t(128));
  cv::rectangle(m, cv::Rect(0, 0, 16, 16), cv::Scalar(0, 0, 255), -1);       // red, top-left
  cv::rectangle(m, cv::Rect(w - 16, 0, 16, 16), cv::Scalar(0, 255, 0), -1);  // green, top-right
  cv::rectangle(m, cv::Rect(0, h - 16, 16, 16), cv::Scalar(255, 0, 0), -1);  // blue, bottom-left
  return m;
}

Bytes encode(const cv::Mat& m, const std::string& ext, std::vector<int> params = {}) {
  Bytes out;
  EXPECT_TRUE(cv::imencode(ext, m, out, params));
  return out;
}

// Inserts a JPEG segment (marker + payload) right after SOI and the JFIF APP0.
Bytes insert_jpeg_segment(Bytes jpeg, uint8_t marker, const Bytes& payload) {
  size_t at = 2;
  if (jpeg[2] == 0xFF && jpeg[3] == 0xE0) at = 4 + ((jpeg[4] << 8) | jpeg[5]);
  Bytes seg = {0xFF, marker, uint8_t((payload.size() + 2) >> 8),
               uint8_t((payload.size() + 2) & 0xFF)};
  seg.insert(seg.end(), payload.begin(), payload.end());
  jpeg.insert(jpeg.begin() + at, seg.begin(), seg.end());
  return jpeg;
}

// A minimal EXIF block ("Exif\0\0" + big-endian TIFF with one IFD entry: Orientation).
Bytes exif_with_orientation(int o) {
  return {'E',  'x',  'i', 'f', 0, 0,                             // EXIF header
          'M',  'M',  0,   42,  0, 0, 0, 8,                       // TIFF header, IFD0 at 8
          0,    1,                                                // one entry
          0x01, 0x12, 0,   3,   0, 0, 0, 1, 0, uint8_t(o), 0, 0,  // Orientation, SHORT, 1, value
          0,    0,    0,   0};                                    // no next IFD
}

void put_be32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
}

Bytes png_chunk(const char* type, const Bytes& data) {
  Bytes c;
  put_be32(c, uint32_t(data.size()));
  c.insert(c.end(), type, type + 4);
  c.insert(c.end(), data.begin(), data.end());
  put_be32(c, uint32_t(crc32(0, c.data() + 4, uInt(4 + data.size()))));
  return c;
}

// Inserts a chunk right after IHDR.
Bytes insert_png_chunk(Bytes png, const char* type, const Bytes& data) {
  Bytes c = png_chunk(type, data);
  png.insert(png.begin() + 33, c.begin(), c.end());
  return png;
}

// Applies the inverse of EXIF orientation `o` to an upright image: what a camera would store.
cv::Mat stored_for_orientation(const cv::Mat& upright, int o) {
  cv::Mat r;
  switch (o) {
    case 2:
      cv::flip(upright, r, 1);
      break;
    case 3:
      cv::rotate(upright, r, cv::ROTATE_180);
      break;
    case 4:
      cv::flip(upright, r, 0);
      break;
    case 5:
      cv::transpose(upright, r);
      break;
    case 6:
      cv::rotate(upright, r, cv::ROTATE_90_COUNTERCLOCKWISE);
      break;
    case 7:
      cv::rotate(upright, r, cv::ROTATE_180);
      cv::transpose(r, r);
      break;
    case 8:
      cv::rotate(upright, r, cv::ROTATE_90_CLOCKWISE);
      break;
    default:
      r = upright.clone();
  }
  return r;
}

std::string error_of(const Bytes& b, const std::string& name = "photo.x") {
  try {
    decode_photo(b, name);
  } catch (const InputError& e) {
    EXPECT_EQ(e.subject(), name);
    return e.reason();
  }
  return "";
}

double max_diff(const cv::Mat& a, const cv::Mat& b) {
  return cv::norm(a, b, cv::NORM_INF);
}

// ---------------------------------------------------------------------------------- formats

TEST(ImageIo, SniffsEveryFormatWeRead) {
  cv::Mat m = test_card();
  EXPECT_EQ(sniff_format(encode(m, ".jpg")), "jpeg");
  EXPECT_EQ(sniff_format(encode(m, ".png")), "png");
  EXPECT_EQ(sniff_format(encode(m, ".webp")), "webp");
  EXPECT_EQ(sniff_format(encode(m, ".tif")), "tiff");
  EXPECT_EQ(sniff_format(Bytes{'h', 'e', 'l', 'l', 'o'}), "");
}

TEST(ImageIo, LosslessFormatsDecodeExactly) {
  cv::Mat m = test_card();
  for (const char* ext : {".png", ".tif"}) {
    Photo p = decode_photo(encode(m, ext), std::string("card") + ext);
    EXPECT_EQ(p.bgr.type(), CV_8UC3);
    EXPECT_EQ(max_diff(p.bgr, m), 0.0) << ext;
  }
  Photo w = decode_photo(encode(m, ".webp", {cv::IMWRITE_WEBP_QUALITY, 101}), "card.webp");
  EXPECT_EQ(max_diff(w.bgr, m), 0.0) << "lossless WebP";
}

TEST(ImageIo, JpegDecodesCloseToTheOriginal) {
  cv::Mat m = test_card();
  Photo p = decode_photo(encode(m, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 98}), "card.jpg");
  EXPECT_EQ(p.format, "jpeg");
  // Lossy, but a quality-98 JPEG stays within a few codes on average.
  EXPECT_LT(cv::norm(p.bgr, m, cv::NORM_L1) / m.total() / 3, 3.0);
}

// libjpeg's warnings on a stream (a restart marker out of sequence, data cut short ...).
int jpeg_warnings(const Bytes& b, cv::Size& size) {
  struct Err {
    jpeg_error_mgr mgr;
    std::jmp_buf jump;
  } err;
  jpeg_decompress_struct c{};
  c.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = [](j_common_ptr p) {
    std::longjmp(reinterpret_cast<Err*>(p->err)->jump, 1);
  };
  err.mgr.output_message = [](j_common_ptr) {};
  jpeg_create_decompress(&c);
  int warnings = -1;
  if (!setjmp(err.jump)) {
    jpeg_mem_src(&c, b.data(), static_cast<unsigned long>(b.size()));
    jpeg_read_header(&c, TRUE);
    jpeg_start_decompress(&c);
    std::vector<uint8_t> row(c.output_width * c.output_components);
    JSAMPROW r = row.data();
    while (c.output_scanline < c.output_height) jpeg_read_scanlines(&c, &r, 1);
    jpeg_finish_decompress(&c);
    size = cv::Size(static_cast<int>(c.output_width), static_cast<int>(c.output_height));
    warnings = static_cast<int>(err.mgr.num_warnings);
  }
  jpeg_destroy_decompress(&c);
  return warnings;
}

// A large image is encoded in strips on several cores and joined by restart markers: one valid
// stream (no warning, its full height) that decodes to the one-core encoding's pixels.
TEST(ImageIo, JpegEncodedInStripsDecodesToTheSamePixels) {
  for (int channels : {3, 1}) {
    // Sizes that fit no block grid; photo-like content: noise on a gradient.
    cv::Mat m(1801, 2003, channels == 3 ? CV_8UC3 : CV_8UC1);
    cv::randu(m, cv::Scalar::all(0), cv::Scalar::all(255));
    cv::GaussianBlur(m, m, cv::Size(), 2.0);
    const Bytes one = codec::encode_jpeg(m, 95, "note", 1);
    const Bytes strips = codec::encode_jpeg(m, 95, "note", 2);
    ASSERT_NE(one, strips) << "not encoded in strips";
    cv::Size size;
    EXPECT_EQ(jpeg_warnings(strips, size), 0) << channels;
    EXPECT_EQ(size, m.size());
    int rst = 0, com = 0;
    for (size_t i = 0; i + 1 < strips.size(); ++i)
      if (strips[i] == 0xFF)
        rst += strips[i + 1] >= 0xD0 && strips[i + 1] <= 0xD7, com += strips[i + 1] == 0xFE;
    const int block_rows = (m.rows + (channels == 3 ? 15 : 7)) / (channels == 3 ? 16 : 8);
    EXPECT_EQ(rst, block_rows - 1);  // one between every two rows of blocks
    EXPECT_EQ(com, 1);
    EXPECT_EQ(max_diff(cv::imdecode(strips, cv::IMREAD_UNCHANGED),
                       cv::imdecode(one, cv::IMREAD_UNCHANGED)),
              0.0)
        << channels;
    EXPECT_LT(strips.size(), one.size() * 1.01);
  }
}

// A label map written with a palette reads back, through our decoder and OpenCV's, as exactly
// the colours it stands for.
TEST(ImageIo, PalettePngIsTheColoursOfItsLabels) {
  cv::Mat labels(37, 53, CV_8U);
  cv::randu(labels, 0, 3);
  const std::vector<cv::Vec3b> palette = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
  cv::Mat colours(labels.size(), CV_8UC3);
  for (int y = 0; y < labels.rows; ++y)
    for (int x = 0; x < labels.cols; ++x)
      colours.at<cv::Vec3b>(y, x) = palette[labels.at<uint8_t>(y, x)];
  const Bytes png = codec::encode_png_palette(labels, palette);
  EXPECT_EQ(max_diff(decode_photo(png, "labels.png").bgr, colours), 0.0);
  EXPECT_EQ(max_diff(cv::imdecode(png, cv::IMREAD_COLOR), colours), 0.0);
  EXPECT_EQ(png[25], 3) << "colour type: palette";
  cv::Mat bad = labels.clone();
  bad.at<uint8_t>(5, 5) = 3;  // no such colour
  EXPECT_THROW(codec::encode_png_palette(bad, palette), std::exception);
}

TEST(ImageIo, SixteenBitPngAndTiffBecomeEightBit) {
  cv::Mat m8 = test_card(), m16;
  m8.convertTo(m16, CV_16U, 257.0);
  m16.at<cv::Vec3w>(20, 20) = cv::Vec3w(1000, 30000, 65535);  // not a multiple of 257
  for (const char* ext : {".png", ".tif"}) {
    Photo p = decode_photo(encode(m16, ext), std::string("deep") + ext);
    EXPECT_EQ(p.source_bit_depth, 16) << ext;
    EXPECT_EQ(p.bgr.type(), CV_8UC3);
    cv::Mat expect;
    m16.convertTo(expect, CV_8U, 1.0 / 257.0);
    EXPECT_EQ(max_diff(p.bgr, expect), 0.0) << ext;
    EXPECT_EQ(p.bgr.at<cv::Vec3b>(20, 20), cv::Vec3b(4, 117, 255)) << ext;
  }
}

TEST(ImageIo, GreyBecomesThreeEqualChannels) {
  cv::Mat g(40, 50, CV_8U);
  cv::randu(g, 0, 256);
  Photo p = decode_photo(encode(g, ".png"), "grey.png");
  EXPECT_EQ(p.source_channels, 1);
  std::vector<cv::Mat> ch;
  cv::split(p.bgr, ch);
  for (const auto& c : ch) EXPECT_EQ(max_diff(c, g), 0.0);
}

TEST(ImageIo, AlphaIsCompositedOverWhite) {
  cv::Mat m(32, 32, CV_8UC4, cv::Scalar(0, 0, 200, 255));       // opaque red
  m(cv::Rect(0, 0, 16, 32)).setTo(cv::Scalar(0, 0, 200, 0));    // transparent half
  m(cv::Rect(16, 0, 8, 32)).setTo(cv::Scalar(0, 0, 200, 128));  // half-transparent strip
  Photo p = decode_photo(encode(m, ".png"), "cutout.png");
  EXPECT_EQ(p.source_channels, 4);
  EXPECT_EQ(p.bgr.at<cv::Vec3b>(5, 5), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(p.bgr.at<cv::Vec3b>(5, 30), cv::Vec3b(0, 0, 200));
  cv::Vec3b half = p.bgr.at<cv::Vec3b>(5, 20);
  // 128/255 of the colour over white: 255 * (1 - a) and 200a + 255(1 - a), +-1 for rounding.
  EXPECT_NEAR(half[0], 127, 1);
  EXPECT_NEAR(half[2], 227, 1);
}

// An uncompressed CMYK TIFF built by hand (PhotometricInterpretation = 5, separated).
Bytes cmyk_tiff(int w, int h, const cv::Vec4b& cmyk) {
  Bytes b = {'I', 'I', 42, 0, 8, 0, 0, 0};
  const uint32_t data_at = 8 + 2 + 10 * 12 + 4 + 8;  // IFD, then BitsPerSample's 4 shorts
  auto le16 = [&](uint32_t v) {
    b.push_back(v & 0xFF);
    b.push_back(v >> 8);
  };
  auto le32 = [&](uint32_t v) {
    for (int s = 0; s < 32; s += 8) b.push_back(uint8_t(v >> s));
  };
  auto entry = [&](uint16_t tag, uint16_t type, uint32_t count, uint32_t value) {
    le16(tag);
    le16(type);
    le32(count);
    if (type == 3 && count == 1) {
      le16(value);
      le16(0);
    } else
      le32(value);
  };
  le16(10);
  entry(256, 3, 1, w);
  entry(257, 3, 1, h);
  entry(258, 3, 4, data_at - 8);  // BitsPerSample 8,8,8,8 (stored after the IFD)
  entry(259, 3, 1, 1);            // no compression
  entry(262, 3, 1, 5);            // separated (CMYK)
  entry(273, 4, 1, data_at);      // StripOffsets
  entry(277, 3, 1, 4);            // SamplesPerPixel
  entry(278, 3, 1, h);            // RowsPerStrip
  entry(279, 4, 1, uint32_t(w * h * 4));
  entry(284, 3, 1, 1);  // chunky
  le32(0);
  for (int i = 0; i < 4; ++i) le16(8);
  for (int i = 0; i < w * h; ++i) b.insert(b.end(), {cmyk[0], cmyk[1], cmyk[2], cmyk[3]});
  return b;
}

TEST(ImageIo, CmykTiffBecomesRgb) {
  // Pure cyan ink: no red, full green and blue. 50 % black on top halves every channel.
  Photo p = decode_photo(cmyk_tiff(24, 20, {255, 0, 0, 0}), "cyan.tif");
  EXPECT_EQ(p.source_channels, 4);
  EXPECT_EQ(p.bgr.at<cv::Vec3b>(10, 10), cv::Vec3b(255, 255, 0));
  cv::Vec3b grey =
      decode_photo(cmyk_tiff(24, 20, {0, 0, 0, 128}), "grey.tif").bgr.at<cv::Vec3b>(3, 3);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(grey[c], 127, 1);
}

TEST(ImageIo, CmykJpegBecomesRgb) {
  if (std::system("command -v convert >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "imagemagick's convert is not installed (SMP_WITH_TEST_TOOLS=1 installs it)";
  test::TempDir t;
  cv::Mat m = test_card(64, 48);
  m.setTo(cv::Scalar(40, 90, 200));  // a flat skin-like orange
  cv::imwrite(t.path("rgb.png"), m);
  ASSERT_EQ(std::system(("convert " + t.path("rgb.png") + " -colorspace CMYK -quality 98 " +
                         t.path("cmyk.jpg"))
                            .c_str()),
            0);
  Photo p = read_photo(t.path("cmyk.jpg"));
  EXPECT_EQ(p.format, "jpeg");
  cv::Scalar mean = cv::mean(p.bgr);
  // imagemagick's naive RGB->CMYK and the decoder's CMYK->RGB are inverses up to JPEG's loss.
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(mean[c], cv::Scalar(40, 90, 200)[c], 4.0) << c;
}

TEST(ImageIo, CmykTiffFromImagemagickBecomesRgb) {
  // Its BitsPerSample (4 values) sits at an offset past 64 KB, after the pixels.
  if (std::system("command -v convert >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "imagemagick's convert is not installed (SMP_WITH_TEST_TOOLS=1 installs it)";
  test::TempDir t;
  cv::Mat m(200, 160, CV_8UC3, cv::Scalar(40, 90, 200));
  cv::imwrite(t.path("rgb.png"), m);
  ASSERT_EQ(std::system(("convert " + t.path("rgb.png") + " -colorspace CMYK " + t.path("c.tif") +
                         " && convert " + t.path("rgb.png") + " -colorspace CMYK -depth 16 " +
                         t.path("c16.tif"))
                            .c_str()),
            0);
  Photo p = read_photo(t.path("c.tif"));
  EXPECT_EQ(p.source_channels, 4);
  cv::Scalar mean = cv::mean(p.bgr);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(mean[c], cv::Scalar(40, 90, 200)[c], 2.0) << c;
  try {
    read_photo(t.path("c16.tif"));
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(e.reason().find("CMYK TIFF with 16-bit samples"), std::string::npos) << e.reason();
  }
}

// ---------------------------------------------------------------------------------- EXIF

TEST(ImageIo, JpegExifOrientation6IsRotatedClockwise) {
  cv::Mat upright = test_card();
  Bytes jpeg = encode(stored_for_orientation(upright, 6), ".jpg", {cv::IMWRITE_JPEG_QUALITY, 100});
  Photo p = decode_photo(insert_jpeg_segment(jpeg, 0xE1, exif_with_orientation(6)), "phone.jpg");
  EXPECT_EQ(p.exif_orientation, 6);
  ASSERT_EQ(p.bgr.size(), upright.size());
  // The red patch is top-left again, green top-right, blue bottom-left.
  EXPECT_GT(p.bgr.at<cv::Vec3b>(8, 8)[2], 200);
  EXPECT_GT(p.bgr.at<cv::Vec3b>(8, upright.cols - 8)[1], 200);
  EXPECT_GT(p.bgr.at<cv::Vec3b>(upright.rows - 8, 8)[0], 200);
}

TEST(ImageIo, EveryExifOrientationComesOutUpright) {
  cv::Mat upright = test_card();
  for (int o = 1; o <= 8; ++o) {
    Bytes png = encode(stored_for_orientation(upright, o), ".png");
    Bytes exif = exif_with_orientation(o);
    exif.erase(exif.begin(), exif.begin() + 6);  // PNG's eXIf has no "Exif\0\0" header
    Photo p = decode_photo(insert_png_chunk(png, "eXIf", exif), "o.png");
    EXPECT_EQ(p.exif_orientation, o);
    ASSERT_EQ(p.bgr.size(), upright.size()) << "orientation " << o;
    EXPECT_EQ(max_diff(p.bgr, upright), 0.0) << "orientation " << o;
  }
}

TEST(ImageIo, OutputsCarryNoExif) {
  cv::Mat upright = test_card();
  Bytes jpeg = insert_jpeg_segment(encode(stored_for_orientation(upright, 6), ".jpg"), 0xE1,
                                   exif_with_orientation(6));
  Photo p = decode_photo(jpeg, "phone.jpg");
  test::TempDir t;
  for (const char* name : {"out.jpg", "out.png", "out.webp", "out.tif"}) {
    write_image(t.path(name), p.bgr);
    Bytes b = read_file_bytes(t.path(name));
    std::string s(b.begin(), b.end());
    EXPECT_EQ(s.find("Exif"), std::string::npos) << name;
    EXPECT_EQ(s.find("eXIf"), std::string::npos) << name;
    // Read back: already upright, nothing left to rotate.
    Photo back = read_photo(t.path(name));
    EXPECT_EQ(back.exif_orientation, 1) << name;
    EXPECT_EQ(back.bgr.size(), upright.size()) << name;
  }
}

// ---------------------------------------------------------------------------------- ICC

// Display P3 (DCI-P3 primaries, D65 white, the sRGB tone curve), built with lcms2.
Bytes display_p3_profile() {
  cmsCIExyY white = {0.3127, 0.3290, 1.0};
  cmsCIExyYTRIPLE primaries = {{0.680, 0.320, 1.0}, {0.265, 0.690, 1.0}, {0.150, 0.060, 1.0}};
  const double srgb_curve[5] = {2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045};
  cmsToneCurve* curve = cmsBuildParametricToneCurve(nullptr, 4, srgb_curve);
  cmsToneCurve* curves[3] = {curve, curve, curve};
  cmsHPROFILE p = cmsCreateRGBProfile(&white, &primaries, curves);
  cmsMLU* desc = cmsMLUalloc(nullptr, 1);
  cmsMLUsetASCII(desc, "en", "US", "Display P3");
  cmsWriteTag(p, cmsSigProfileDescriptionTag, desc);
  cmsUInt32Number n = 0;
  cmsSaveProfileToMem(p, nullptr, &n);
  Bytes b(n);
  cmsSaveProfileToMem(p, b.data(), &n);
  cmsMLUfree(desc);
  cmsFreeToneCurve(curve);
  cmsCloseProfile(p);
  return b;
}

double srgb_decode(double v) {
  return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
}
double srgb_encode(double v) {
  v = std::clamp(v, 0.0, 1.0);
  return v <= 0.0031308 ? 12.92 * v : 1.055 * std::pow(v, 1 / 2.4) - 0.055;
}

// Display P3 RGB (0-255) -> sRGB (0-255), by the published linear P3->sRGB matrix, clipped.
cv::Vec3d p3_to_srgb(cv::Vec3d p3) {
  const double M[3][3] = {
      {1.2249, -0.2247, 0.0}, {-0.0420, 1.0419, 0.0}, {-0.0197, -0.0786, 1.0979}};
  cv::Vec3d lin, out;
  for (int i = 0; i < 3; ++i) lin[i] = srgb_decode(p3[i] / 255.0);
  for (int i = 0; i < 3; ++i)
    out[i] = 255.0 * srgb_encode(M[i][0] * lin[0] + M[i][1] * lin[1] + M[i][2] * lin[2]);
  return out;
}

TEST(ImageIo, DisplayP3JpegIsConvertedToSrgb) {
  // Three flat patches (RGB): a saturated P3 red, a P3 skin-like orange, a neutral grey.
  const cv::Vec3d patches[3] = {{255, 0, 0}, {200, 100, 60}, {128, 128, 128}};
  cv::Mat m(64, 192, CV_8UC3);
  for (int i = 0; i < 3; ++i)
    m(cv::Rect(64 * i, 0, 64, 64)).setTo(cv::Scalar(patches[i][2], patches[i][1], patches[i][0]));
  Bytes icc = display_p3_profile();
  Bytes app2 = {'I', 'C', 'C', '_', 'P', 'R', 'O', 'F', 'I', 'L', 'E', 0, 1, 1};
  app2.insert(app2.end(), icc.begin(), icc.end());
  Bytes jpeg = insert_jpeg_segment(encode(m, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 100}), 0xE2, app2);
  Photo p = decode_photo(jpeg, "p3.jpg");
  EXPECT_TRUE(p.icc_converted);
  for (int i = 0; i < 3; ++i) {
    cv::Vec3b got = p.bgr.at<cv::Vec3b>(32, 64 * i + 32);
    cv::Vec3d want = p3_to_srgb(patches[i]);
    // 3 codes: JPEG's rounding of a flat patch, lcms2's 8-bit pipeline, the 4-digit matrix.
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(got[2 - c], want[c], 3.0) << "patch " << i << " channel " << c;
  }
  // The orange really moved (read as sRGB it would stay at 200,100,60).
  EXPECT_GT(p.bgr.at<cv::Vec3b>(32, 96)[2], 208);
}

TEST(ImageIo, SrgbProfileIsLeftAlone) {
  cmsHPROFILE srgb = cmsCreate_sRGBProfile();
  cmsUInt32Number n = 0;
  cmsSaveProfileToMem(srgb, nullptr, &n);
  Bytes icc(n);
  cmsSaveProfileToMem(srgb, icc.data(), &n);
  cmsCloseProfile(srgb);
  Bytes app2 = {'I', 'C', 'C', '_', 'P', 'R', 'O', 'F', 'I', 'L', 'E', 0, 1, 1};
  app2.insert(app2.end(), icc.begin(), icc.end());
  cv::Mat m = test_card();
  Bytes jpeg = encode(m, ".jpg");
  Photo plain = decode_photo(jpeg, "a.jpg");
  Photo tagged = decode_photo(insert_jpeg_segment(jpeg, 0xE2, app2), "b.jpg");
  EXPECT_FALSE(tagged.icc_converted);
  EXPECT_EQ(max_diff(plain.bgr, tagged.bgr), 0.0);
}

// ---------------------------------------------------------------------------------- HEIC

heif_error write_to_vector(heif_context*, const void* data, size_t size, void* user) {
  auto* out = static_cast<Bytes*>(user);
  out->insert(out->end(), static_cast<const uint8_t*>(data),
              static_cast<const uint8_t*>(data) + size);
  return heif_error{heif_error_Ok, heif_suberror_Unspecified, "ok"};
}

TEST(ImageIo, HeicFromAPhoneIsRead) {
  if (!heif_have_encoder_for_format(heif_compression_HEVC))
    GTEST_SKIP() << "this libheif has no HEVC encoder, so no HEIC fixture can be made here";
  cv::Mat m = test_card(128, 96);
  heif_context* ctx = heif_context_alloc();
  heif_encoder* enc = nullptr;
  ASSERT_EQ(heif_context_get_encoder_for_format(ctx, heif_compression_HEVC, &enc).code,
            heif_error_Ok);
  heif_encoder_set_lossy_quality(enc, 95);
  heif_image* img = nullptr;
  heif_image_create(m.cols, m.rows, heif_colorspace_RGB, heif_chroma_interleaved_RGB, &img);
  heif_image_add_plane(img, heif_channel_interleaved, m.cols, m.rows, 8);
  int stride = 0;
  uint8_t* plane = heif_image_get_plane(img, heif_channel_interleaved, &stride);
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x)
      for (int c = 0; c < 3; ++c) plane[y * stride + 3 * x + c] = m.at<cv::Vec3b>(y, x)[2 - c];
  ASSERT_EQ(heif_context_encode_image(ctx, img, enc, nullptr, nullptr).code, heif_error_Ok);
  Bytes heic;
  heif_writer writer{1, write_to_vector};
  ASSERT_EQ(heif_context_write(ctx, &writer, &heic).code, heif_error_Ok);
  heif_image_release(img);
  heif_encoder_release(enc);
  heif_context_free(ctx);

  EXPECT_EQ(sniff_format(heic), "heif");
  Photo p = decode_photo(heic, "phone.heic");
  EXPECT_EQ(p.format, "heif");
  ASSERT_EQ(p.bgr.size(), m.size());
  // Lossy (HEVC, 4:2:0 chroma): the patches keep their colour.
  EXPECT_GT(p.bgr.at<cv::Vec3b>(8, 8)[2], 180);
  EXPECT_GT(p.bgr.at<cv::Vec3b>(8, m.cols - 8)[1], 180);
  EXPECT_LT(cv::norm(p.bgr, m, cv::NORM_L1) / m.total() / 3, 8.0);
}

// ---------------------------------------------------------------------------------- refusals

TEST(ImageIo, EmptyFileIsRefused) {
  EXPECT_EQ(error_of({}), "file is empty");
}

TEST(ImageIo, TextFileIsRefused) {
  std::string text = "name,age\nJohn,44\n";
  EXPECT_NE(error_of(Bytes(text.begin(), text.end())).find("not an image"), std::string::npos);
}

TEST(ImageIo, TruncatedJpegIsRefused) {
  Bytes jpeg = encode(cv::imread(test::sample_photo()), ".jpg");
  jpeg.resize(jpeg.size() / 2);
  EXPECT_NE(error_of(jpeg).find("truncated"), std::string::npos);
}

TEST(ImageIo, TruncatedPngAndWebpAreRefused) {
  cv::Mat m = test_card(300, 200);
  cv::randu(m, 0, 256);
  for (const char* ext : {".png", ".webp"}) {
    Bytes b = encode(m, ext);
    b.resize(b.size() * 2 / 3);
    EXPECT_NE(error_of(b).find("truncated"), std::string::npos) << ext;
  }
}

TEST(ImageIo, HugePngIsRefusedFromItsHeader) {
  // 20000 x 10000 = 200 megapixels claimed by IHDR; the pixel data is a few bytes (never read).
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes ihdr;
  put_be32(ihdr, 20000);
  put_be32(ihdr, 10000);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});
  for (const Bytes& c : {png_chunk("IHDR", ihdr), png_chunk("IDAT", {0x78, 0x01, 0, 0, 0, 0}),
                         png_chunk("IEND", {})})
    png.insert(png.end(), c.begin(), c.end());
  std::string why = error_of(png);
  EXPECT_NE(why.find("200 megapixels"), std::string::npos) << why;
  EXPECT_NE(why.find("100 megapixels"), std::string::npos) << why;
}

TEST(ImageIo, HugeJpegAndTiffAreRefusedFromTheirHeaders) {
  // A small, complete JPEG whose frame header (SOF0) is patched to claim 20000 x 10000: refused
  // before libjpeg would allocate 600 MB.
  Bytes jpeg = encode(test_card(), ".jpg");
  size_t sof = 2;
  while (sof + 4 < jpeg.size() && !(jpeg[sof] == 0xFF && jpeg[sof + 1] == 0xC0))
    sof += 2 + ((jpeg[sof + 2] << 8) | jpeg[sof + 3]);
  ASSERT_LT(sof + 9, jpeg.size());
  jpeg[sof + 5] = 10000 >> 8, jpeg[sof + 6] = 10000 & 0xFF;  // height
  jpeg[sof + 7] = 20000 >> 8, jpeg[sof + 8] = 20000 & 0xFF;  // width
  EXPECT_NE(error_of(jpeg).find("200 megapixels"), std::string::npos) << error_of(jpeg);
  // The same for a TIFF's ImageWidth / ImageLength tags (LONG values in place).
  Bytes tiff = cmyk_tiff(24, 20, {0, 0, 0, 0});
  for (size_t e = 10; e + 12 <= 10 + 10 * 12; e += 12) {
    const int tag = tiff[e] | (tiff[e + 1] << 8);
    if (tag == 256 || tag == 257) {
      tiff[e + 2] = 4;  // type LONG
      const uint32_t v = tag == 256 ? 20000 : 10000;
      for (int k = 0; k < 4; ++k) tiff[e + 8 + k] = uint8_t(v >> (8 * k));
    }
  }
  EXPECT_NE(error_of(tiff).find("200 megapixels"), std::string::npos) << error_of(tiff);
}

TEST(ImageIo, DamagedHeicIsRefused) {
  // The HEIF brand box, then nothing that libheif can read.
  Bytes heic = {0,   0,   0,   24,  'f', 't', 'y', 'p', 'h', 'e', 'i', 'c', 0,   0,   0,   0, 'm',
                'i', 'f', '1', 'h', 'e', 'i', 'c', 0,   0,   0,   9,   'm', 'e', 't', 'a', 0};
  EXPECT_EQ(sniff_format(heic), "heif");
  std::string why = error_of(heic, "phone.heic");
  EXPECT_NE(why.find("HEIF"), std::string::npos) << why;
}

TEST(ImageIo, MissingFileIsRefused) {
  try {
    read_photo("/nonexistent/photo.jpg");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.subject(), "/nonexistent/photo.jpg");
    EXPECT_EQ(e.reason(), "no such file");
  }
}

// ---------------------------------------------------------------------------------- writing

TEST(ImageIo, PngRoundTripIsBitIdentical) {
  test::TempDir t;
  cv::Mat photo = read_photo(test::sample_photo()).bgr;
  cv::Mat noise(333, 517, CV_8UC3);  // odd sizes, every code value
  cv::randu(noise, 0, 256);
  cv::Mat grey(101, 77, CV_8U), rgba(64, 65, CV_8UC4);
  cv::randu(grey, 0, 256);
  cv::randu(rgba, 0, 256);
  for (const cv::Mat* m : {&photo, &noise, &grey, &rgba}) {
    write_image(t.path("x.png"), *m);
    Bytes b = read_file_bytes(t.path("x.png"));
    // Read by libpng (through OpenCV), independent of our writer.
    cv::Mat back = cv::imdecode(b, cv::IMREAD_UNCHANGED);
    ASSERT_EQ(back.size(), m->size());
    ASSERT_EQ(back.type(), m->type());
    EXPECT_EQ(max_diff(back, *m), 0.0);
  }
  write_image(t.path("p.png"), photo);
  EXPECT_EQ(max_diff(read_photo(t.path("p.png")).bgr, photo), 0.0);
}

TEST(ImageIo, WriteIsAtomicAndLeavesNoTempFile) {
  test::TempDir t;
  write_image(t.path("a.png"), test_card());
  write_image(t.path("a.png"), test_card(50, 40));  // replaced whole
  EXPECT_EQ(read_photo(t.path("a.png")).bgr.cols, 50);
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(t.dir())) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  EXPECT_THROW(write_image(t.path("missing/a.png"), test_card()), InputError);
  EXPECT_THROW(write_image(t.path("a.gif"), test_card()), UsageError);
}

TEST(ImageIo, SimulationMarkerRoundTrips) {
  test::TempDir t;
  cv::Mat m = test_card();
  for (const char* name : {"sim.jpg", "sim.png"}) {
    write_image(t.path(name), m, {.mark_simulated = true});
    Bytes b = read_file_bytes(t.path(name));
    EXPECT_TRUE(has_simulation_marker(b)) << name;
    EXPECT_TRUE(read_photo(t.path(name)).simulated) << name;
    // Still a valid image for any reader.
    EXPECT_FALSE(cv::imdecode(b, cv::IMREAD_COLOR).empty()) << name;
    write_image(t.path(name), m);
    EXPECT_FALSE(has_simulation_marker(read_file_bytes(t.path(name)))) << name;
    EXPECT_FALSE(read_photo(t.path(name)).simulated) << name;
  }
  // The JFIF APP0 stays the first segment.
  Bytes jpeg = encode_image(m, "jpg", {.mark_simulated = true});
  EXPECT_EQ(jpeg[3], 0xE0);
  EXPECT_THROW(encode_image(m, "webp", {.mark_simulated = true}), UsageError);
}

// ------------------------------------------------------------------ our codecs vs OpenCV's
// smp decodes through libjpeg-turbo, libpng, libwebp and libtiff directly (OpenCV's imgcodecs
// drags ~230 shared libraries into every start). The same libraries, called with OpenCV's
// settings, must give OpenCV's pixels: exactly, also for JPEG (same libjpeg, same integer DCT
// and fancy upsampling) and lossy WebP (same libwebp).

cv::Mat opencv_bgr8(const Bytes& b) {
  cv::Mat m = cv::imdecode(b, cv::IMREAD_UNCHANGED);
  if (m.depth() == CV_16U) m.convertTo(m, CV_8U, 1.0 / 257.0);
  if (m.channels() == 1) cv::cvtColor(m, m, cv::COLOR_GRAY2BGR);
  return m;
}

TEST(Codecs, SamplePhotoDecodesToOpenCvsPixels) {
  Bytes jpeg = read_file_bytes(test::sample_photo());
  cv::Mat want = cv::imdecode(jpeg, cv::IMREAD_COLOR);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(max_diff(decode_photo(jpeg, "bald_guys.jpg").bgr, want), 0.0) << "JPEG";
  const std::pair<const char*, std::vector<int>> formats[] = {
      {".png", {}},
      {".tif", {}},
      {".webp", {cv::IMWRITE_WEBP_QUALITY, 90}},
      {".webp", {cv::IMWRITE_WEBP_QUALITY, 101}},
      {".jpg", {cv::IMWRITE_JPEG_QUALITY, 75}}};
  const cv::Mat crop = want(cv::Rect(600, 500, 640, 480));  // a face; keeps OpenCV's encoders quick
  for (const auto& [ext, params] : formats) {
    Bytes b = encode(crop, ext, params);
    EXPECT_EQ(max_diff(decode_photo(b, std::string("s") + ext).bgr, cv::imdecode(b, 1)), 0.0)
        << ext << (params.empty() ? 0 : params[1]);
  }
}

TEST(Codecs, SyntheticLayoutsDecodeToOpenCvsPixels) {
  cv::Mat bgr(61, 83, CV_8UC3), grey(61, 83, CV_8U), bgra(61, 83, CV_8UC4), deep(61, 83, CV_16UC3),
      deep_grey(61, 83, CV_16U), deep_bgra(61, 83, CV_16UC4);
  cv::randu(bgr, 0, 256);
  cv::GaussianBlur(bgr, bgr, {5, 5}, 1.5);  // photo-like, so JPEG has smooth areas too
  cv::randu(grey, 0, 256);
  cv::randu(bgra, 0, 256);
  cv::randu(deep, 0, 65536);
  cv::randu(deep_grey, 0, 65536);
  cv::randu(deep_bgra, 0, 65536);
  struct Case {
    const cv::Mat* m;
    const char* ext;
  };
  const Case cases[] = {{&grey, ".png"},      {&grey, ".tif"},      {&grey, ".jpg"},
                        {&bgr, ".jpg"},       {&bgra, ".png"},      {&bgra, ".tif"},
                        {&deep, ".png"},      {&deep, ".tif"},      {&deep_grey, ".png"},
                        {&deep_grey, ".tif"}, {&deep_bgra, ".png"}, {&deep_bgra, ".tif"}};
  for (const Case& c : cases) {
    Bytes b = encode(*c.m, c.ext);
    const std::string what = std::string(c.ext) + " type " + std::to_string(c.m->type());
    Photo p = decode_photo(b, "x" + std::string(c.ext));
    if (c.m->channels() == 4) {
      // Alpha: compare the stored samples (before compositing) with OpenCV's.
      cv::Mat raw =
          std::string(c.ext) == ".png" ? codec::decode_png(b, "x") : codec::decode_tiff(b, "x");
      EXPECT_EQ(max_diff(raw, cv::imdecode(b, cv::IMREAD_UNCHANGED)), 0.0) << what;
      EXPECT_EQ(p.source_channels, 4) << what;
    } else {
      EXPECT_EQ(max_diff(p.bgr, opencv_bgr8(b)), 0.0) << what;
    }
    EXPECT_EQ(p.source_bit_depth, c.m->depth() == CV_16U ? 16 : 8) << what;
  }
  // Lossy and lossless WebP with alpha.
  for (int q : {80, 101}) {
    Bytes b = encode(bgra, ".webp", {cv::IMWRITE_WEBP_QUALITY, q});
    EXPECT_EQ(max_diff(codec::decode_webp(b, "x"), cv::imdecode(b, cv::IMREAD_UNCHANGED)), 0.0)
        << "WebP q" << q;
  }
}

// A palette PNG written by hand (OpenCV's encoder never writes one): 2 x 2 pixels of a 3-colour
// palette, the third colour half transparent (tRNS).
TEST(Codecs, PalettePngExpands) {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes ihdr;
  put_be32(ihdr, 16);
  put_be32(ihdr, 16);
  ihdr.insert(ihdr.end(), {8, 3, 0, 0, 0});  // 8-bit indices, palette
  Bytes raw;
  for (int y = 0; y < 16; ++y) {
    raw.push_back(0);  // filter: none
    for (int x = 0; x < 16; ++x) raw.push_back(y < 8 ? (x < 8 ? 0 : 1) : (x < 8 ? 1 : 2));
  }
  uLongf zn = compressBound(raw.size());
  Bytes z(zn);
  ASSERT_EQ(compress(z.data(), &zn, raw.data(), raw.size()), Z_OK);
  z.resize(zn);
  Bytes plte = {200, 10, 10, 10, 200, 10, 10, 10, 200};  // RGB: red, green, blue
  for (const Bytes& c :
       {png_chunk("IHDR", ihdr), png_chunk("PLTE", plte), png_chunk("tRNS", {255, 255, 128}),
        png_chunk("IDAT", z), png_chunk("IEND", {})})
    png.insert(png.end(), c.begin(), c.end());
  cv::Mat raw_px = codec::decode_png(png, "pal.png");
  ASSERT_EQ(raw_px.type(), CV_8UC4);
  EXPECT_EQ(max_diff(raw_px, cv::imdecode(png, cv::IMREAD_UNCHANGED)), 0.0);
  EXPECT_EQ(raw_px.at<cv::Vec4b>(0, 0), cv::Vec4b(10, 10, 200, 255));    // red, opaque
  EXPECT_EQ(raw_px.at<cv::Vec4b>(0, 12), cv::Vec4b(10, 200, 10, 255));   // green
  EXPECT_EQ(raw_px.at<cv::Vec4b>(12, 12), cv::Vec4b(200, 10, 10, 128));  // blue, half
  Photo p = decode_photo(png, "pal.png");
  EXPECT_EQ(p.bgr.at<cv::Vec3b>(0, 0), cv::Vec3b(10, 10, 200));
  EXPECT_NEAR(p.bgr.at<cv::Vec3b>(12, 12)[1], (10 * 128 + 255 * 127) / 255.0, 1);  // over white
}

// A CMYK JPEG written with libjpeg itself; `adobe` as Photoshop does (APP14 marker, inverted
// samples: 255 = no ink), otherwise plain ink amounts.
Bytes cmyk_jpeg(int w, int h, const cv::Vec4b& ink, bool adobe) {
  jpeg_compress_struct c{};
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = w;
  c.image_height = h;
  c.input_components = 4;
  c.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&c);
  jpeg_set_colorspace(&c, JCS_CMYK);
  c.write_Adobe_marker = adobe;
  jpeg_set_quality(&c, 100, TRUE);
  jpeg_start_compress(&c, TRUE);
  std::vector<uint8_t> row(size_t(w) * 4);
  for (int x = 0; x < w; ++x)
    for (int k = 0; k < 4; ++k) row[x * 4 + k] = adobe ? 255 - ink[k] : ink[k];
  while (c.next_scanline < c.image_height) {
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  Bytes out(buf, buf + size);
  jpeg_destroy_compress(&c);
  std::free(buf);
  return out;
}

TEST(Codecs, CmykJpegsBecomeRgb) {
  // 60 % cyan, 20 % magenta, 10 % black: R = 255 (1 - .6)(1 - .1) = 92, G = 184, B = 230.
  const cv::Vec4b ink(153, 51, 0, 26);
  for (bool adobe : {true, false}) {
    Bytes b = cmyk_jpeg(32, 24, ink, adobe);
    Photo p = decode_photo(b, "cmyk.jpg");
    EXPECT_EQ(p.source_channels, 4);
    cv::Vec3b got = p.bgr.at<cv::Vec3b>(12, 16);
    // OpenCV's integer formula (>> 8 for / 255) and quality-100 rounding: 2 codes.
    EXPECT_NEAR(got[2], 92, 2) << adobe;
    EXPECT_NEAR(got[1], 184, 2) << adobe;
    EXPECT_NEAR(got[0], 230, 2) << adobe;
    // Adobe's inverted CMYK is what OpenCV assumes: the same pixels. (A CMYK JPEG without the
    // Adobe marker stores ink amounts; OpenCV reads it as inverted, we do not.)
    if (adobe) {
      EXPECT_EQ(max_diff(p.bgr, cv::imdecode(b, cv::IMREAD_COLOR)), 0.0);
    }
  }
}

TEST(Codecs, JpegEncodeMatchesOpenCvs) {
  const cv::Mat& photo = test::bald_guys();
  for (int q : {95, 80}) {
    Bytes ours = encode_image(photo, "jpg", {.jpeg_quality = q});
    Bytes theirs = encode(photo, ".jpg", {cv::IMWRITE_JPEG_QUALITY, q});
    cv::Mat a = cv::imdecode(ours, cv::IMREAD_COLOR), b = cv::imdecode(theirs, cv::IMREAD_COLOR);
    ASSERT_EQ(a.size(), photo.size());
    // Same libjpeg and settings (JFIF, 4:2:0, integer DCT, standard tables): the same bytes
    // here; asserted on pixels with one code of room in case a libjpeg build rounds otherwise.
    EXPECT_LE(max_diff(a, b), 1.0) << "q" << q;
    EXPECT_LE(std::abs(double(ours.size()) - double(theirs.size())) / theirs.size(), 0.01);
    // Baseline (SOF0), not progressive.
    const uint8_t sof0[] = {0xFF, 0xC0};
    EXPECT_NE(std::search(ours.begin(), ours.end(), std::begin(sof0), std::end(sof0)), ours.end());
  }
}

TEST(Codecs, WritersRoundTripThroughOpenCv) {
  cv::Mat bgr(45, 70, CV_8UC3), grey(45, 70, CV_8U), bgra(45, 70, CV_8UC4), deep(45, 70, CV_16UC3),
      ga(45, 70, CV_8UC2);
  cv::randu(bgr, 0, 256);
  cv::randu(grey, 0, 256);
  cv::randu(bgra, 0, 256);
  cv::randu(deep, 0, 65536);
  cv::randu(ga, 0, 256);
  for (const cv::Mat* m : {&bgr, &grey, &bgra, &deep}) {
    for (const char* ext : {"tif", "png"}) {
      Bytes b = encode_image(*m, ext);
      // OpenCV reads an alpha TIFF through libtiff's RGBA reader, which premultiplies the
      // (correctly tagged) unassociated alpha: that one is read back by our decoder.
      cv::Mat back = m->channels() == 4 && std::string(ext) == "tif"
                         ? codec::decode_tiff(b, "x.tif")
                         : cv::imdecode(b, cv::IMREAD_UNCHANGED);
      ASSERT_EQ(back.type(), m->type()) << ext;
      EXPECT_EQ(max_diff(back, *m), 0.0) << ext << " type " << m->type();
    }
  }
  // Grey + alpha PNG (libpng path): OpenCV reads it as BGRA.
  cv::Mat back = cv::imdecode(encode_image(ga, "png"), cv::IMREAD_UNCHANGED), g2;
  ASSERT_EQ(back.type(), CV_8UC4);
  cv::extractChannel(back, g2, 3);
  std::vector<cv::Mat> ch;
  cv::split(ga, ch);
  EXPECT_EQ(max_diff(g2, ch[1]), 0.0);
  // WebP: lossless above quality 100; lossy within JPEG-like error.
  Bytes lossless = encode_image(bgr, "webp", {.jpeg_quality = 101});
  EXPECT_EQ(max_diff(cv::imdecode(lossless, cv::IMREAD_COLOR), bgr), 0.0);
  const cv::Mat& photo = test::bald_guys();
  Bytes lossy = encode_image(photo, "webp");
  EXPECT_LT(cv::norm(cv::imdecode(lossy, cv::IMREAD_COLOR), photo, cv::NORM_L1) / photo.total() / 3,
            3.0);
  // 16-bit to JPEG: scaled to 8 bits, not saturated.
  Photo p = decode_photo(encode_image(deep, "jpg"), "deep.jpg");
  cv::Mat deep8;
  deep.convertTo(deep8, CV_8U, 1.0 / 257.0);
  EXPECT_NEAR(cv::mean(p.bgr)[0], cv::mean(deep8)[0], 3.0);
}

TEST(Codecs, DamagedFilesGiveOneClearErrorAndPrintNothing) {
  Bytes jpeg = read_file_bytes(test::sample_photo());
  testing::internal::CaptureStderr();
  // Cut in the middle of the scan: the header walk and libjpeg's end-of-data warning agree.
  Bytes cut(jpeg.begin(), jpeg.begin() + jpeg.size() * 6 / 10);
  EXPECT_NE(error_of(cut).find("truncated"), std::string::npos);
  try {
    codec::decode_jpeg(cut, "cut.jpg");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(e.reason().find("truncated"), std::string::npos) << e.reason();
  }
  // Cut, then an end marker glued on (a broken copy): only libjpeg can tell.
  Bytes glued = cut;
  glued.insert(glued.end(), {0xFF, 0xD9});
  EXPECT_NE(error_of(glued).find("truncated"), std::string::npos) << error_of(glued);
  // A JPEG signature, then garbage, then an end marker.
  Bytes garbage = {0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 1, 2, 0xFF, 0xDB, 0, 3, 7, 0xFF, 0xD9};
  std::string why = error_of(garbage);
  EXPECT_NE(why.find("JPEG"), std::string::npos) << why;
  // PNG, WebP, TIFF signatures followed by noise.
  cv::Mat noise(1, 400, CV_8U);
  cv::randu(noise, 0, 256);
  const Bytes tails[] = {{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'},
                         {'R', 'I', 'F', 'F', 200, 1, 0, 0, 'W', 'E', 'B', 'P'},
                         {'I', 'I', 42, 0, 8, 0, 0, 0}};
  for (Bytes b : tails) {
    b.insert(b.end(), noise.data, noise.data + noise.total());
    EXPECT_FALSE(error_of(b).empty()) << sniff_format(b);
  }
  EXPECT_THROW(codec::decode_png(tails[0], "x.png"), InputError);
  EXPECT_THROW(codec::decode_webp(tails[1], "x.webp"), InputError);
  EXPECT_THROW(codec::decode_tiff(tails[2], "x.tif"), InputError);
  // A PNG whose pixel data is damaged (CRC of the IDAT chunk broken).
  Bytes png = encode(test_card(), ".png");
  png[png.size() - 20] ^= 0x55;
  EXPECT_FALSE(error_of(png).empty());
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(Codecs, HugeImagesAreRefusedByTheDecodersToo) {
  // The container walk checks the size first; the decoders check again from their own header
  // (a JPEG whose SOF claims 20000 x 10000).
  Bytes jpeg = encode(test_card(), ".jpg");
  size_t sof = 2;
  while (sof + 4 < jpeg.size() && !(jpeg[sof] == 0xFF && jpeg[sof + 1] == 0xC0))
    sof += 2 + ((jpeg[sof + 2] << 8) | jpeg[sof + 3]);
  jpeg[sof + 5] = 10000 >> 8, jpeg[sof + 6] = 10000 & 0xFF;
  jpeg[sof + 7] = 20000 >> 8, jpeg[sof + 8] = 20000 & 0xFF;
  try {
    codec::decode_jpeg(jpeg, "big.jpg");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(e.reason().find("200 megapixels"), std::string::npos) << e.reason();
  }
}

}  // namespace
}  // namespace smp
