// The codec libraries, called directly (libjpeg-turbo, libpng, libwebp, libtiff): OpenCV's
// imgcodecs on Debian links GDAL and ~230 shared libraries, which every `smp` start would pay
// (~0.27 s) for the four formats we need. Internal to smp_image: image_io.h is the interface.
//
// Decoders return the pixels as stored (8 or 16 bits, or 32-bit float for such TIFFs; 1 grey,
// 2 grey+alpha, 3 BGR, 4 BGRA channels), without orientation or colour management; they throw
// InputError(name, reason) and never print. Encoders take 8-bit BGR / BGRA / grey (16 bits
// where the format has it) and write no metadata beyond the optional comment / text.
#pragma once
#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace smp::codec {

// Throws InputError when w x h is more than kMaxPhotoPixels (the photo is refused before any
// pixel buffer is allocated). Unknown sizes (0) pass.
void check_pixel_count(const std::string& name, int64_t w, int64_t h);

// Pixels in the file formats' channel order (RGB / RGBA; grey as is), vectorised by OpenCV.
void rgb_order(const cv::Mat& bgr, cv::Mat& out);

struct JpegInfo {
  int components = 3;  // 1 grey, 3 YCbCr / RGB, 4 CMYK / YCCK
  bool adobe = false;  // an Adobe APP14 marker: CMYK samples are stored inverted
};
cv::Mat decode_jpeg(const std::vector<uint8_t>& bytes, const std::string& name,
                    JpegInfo* info = nullptr);
cv::Mat decode_png(const std::vector<uint8_t>& bytes, const std::string& name);
cv::Mat decode_webp(const std::vector<uint8_t>& bytes, const std::string& name);

struct TiffInfo {
  int samples = 0;  // samples per pixel as stored
  bool cmyk = false;
};
cv::Mat decode_tiff(const std::vector<uint8_t>& bytes, const std::string& name,
                    TiffInfo* info = nullptr);

// Baseline JPEG with the settings of OpenCV's imencode(".jpg", {IMWRITE_JPEG_QUALITY, q}): JFIF,
// 4:2:0, standard Huffman tables, integer DCT. `comment`, when not empty, goes in a COM segment
// right after the JFIF APP0. 8-bit grey or BGR (BGRA: alpha dropped). A large image is encoded in
// strips on up to `threads` cores (0: all), joined by restart markers: the same pixels.
std::vector<uint8_t> encode_jpeg(const cv::Mat& img, int quality, const std::string& comment = {},
                                 int threads = 0);
// Any PNG libpng writes (8/16-bit, grey, grey+alpha, BGR, BGRA), zlib level 3; `texts` are
// tEXt payloads (keyword NUL text).
std::vector<uint8_t> encode_png_libpng(const cv::Mat& img, const std::vector<std::string>& texts);
// An 8-bit palette PNG: each pixel of `indices` (CV_8UC1) picks a colour of `palette_bgr`
// (at most 256). A label map takes a third of the bytes of its colours and compresses far
// better; every reader expands it to the same colours.
std::vector<uint8_t> encode_png_palette(const cv::Mat& indices,
                                        const std::vector<cv::Vec3b>& palette_bgr);
// Lossy at quality 1-100, lossless above 100 (OpenCV's convention). 8-bit grey, BGR or BGRA.
std::vector<uint8_t> encode_webp(const cv::Mat& img, int quality);
// LZW with the horizontal predictor; 8/16-bit grey, BGR or BGRA.
std::vector<uint8_t> encode_tiff(const cv::Mat& img);

}  // namespace smp::codec
