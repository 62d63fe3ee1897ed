// Photo intake and output: the only place where files become pixels and pixels become files.
// Everything is decoded to 8-bit sRGB BGR (OpenCV order) with the EXIF orientation applied and
// any embedded ICC profile converted to sRGB; everything is written atomically, without EXIF.
#pragma once
#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace smp {

// More than this many pixels is refused from the header, before anything is decoded.
inline constexpr int64_t kMaxPhotoPixels = 100'000'000;

struct Photo {
  cv::Mat bgr;                 // CV_8UC3, sRGB, upright
  std::string source;          // the file name, for messages
  std::string format;          // "jpeg", "png", "webp", "tiff", "heif"
  int exif_orientation = 1;    // 1..8 as found in the file (already applied to `bgr`)
  int source_bit_depth = 8;    // 8 or 16 (32 for float TIFF)
  int source_channels = 3;     // 1 gray, 2 gray+alpha, 3, 4 (alpha or CMYK)
  bool icc_converted = false;  // an embedded non-sRGB profile was converted to sRGB
  bool simulated = false;      // carries `smp simulate`'s marker
};

// Reads and decodes a photo (libjpeg-turbo, libpng, libwebp, libtiff, libheif; the same pixels
// as OpenCV's decoders); throws InputError naming the file and the reason (not an image,
// truncated, too large, unsupported format). Nothing is printed.
Photo read_photo(const std::string& path);
Photo decode_photo(const std::vector<uint8_t>& bytes, const std::string& name);

// "jpeg", "png", "webp", "tiff", "heif", or "" when the bytes are not an image we know.
std::string sniff_format(const std::vector<uint8_t>& bytes);

struct EncodeOptions {
  int jpeg_quality = 95;
  // Writes the simulation marker (PNG tEXt / JPEG COM "smp:simulated") so galleries can refuse
  // to publish a simulation as a real result.
  bool mark_simulated = false;
};

// Encodes by the extension of `path_or_ext` (jpg, jpeg, png, webp, tif, tiff) with the codec
// libraries themselves (smp/image/codecs.h; JPEG with OpenCV's settings and pixels, a large one
// in strips joined by restart markers). No EXIF, no GPS: our encoders write none, and we never
// copy the input's metadata.
std::vector<uint8_t> encode_image(const cv::Mat& bgr8, const std::string& path_or_ext,
                                  const EncodeOptions& opt = {});
// encode_image + write_file_atomic.
void write_image(const std::string& path, const cv::Mat& bgr8, const EncodeOptions& opt = {});
// A label map as an 8-bit palette PNG (codec::encode_png_palette), written atomically: pixel
// value i has colour palette_bgr[i].
void write_palette_png(const std::string& path, const cv::Mat& indices,
                       const std::vector<cv::Vec3b>& palette_bgr);

// True when the encoded bytes carry `smp simulate`'s marker.
bool has_simulation_marker(const std::vector<uint8_t>& bytes);

}  // namespace smp
