#include "smp/image/codecs.h"

// jpeglib.h needs FILE and size_t declared first.
// clang-format off
#include <cstdio>
#include <jpeglib.h>
#include <jerror.h>
// clang-format on
#include <png.h>
#include <tiffio.h>
#include <webp/decode.h>
#include <webp/encode.h>

#include <algorithm>
#include <csetjmp>
#include <cstdarg>
#include <cstring>
#include <memory>
#include <mutex>
#include <opencv2/imgproc.hpp>

#include "smp/core/errors.h"
#include "smp/core/parallel.h"
#include "smp/image/byte_order.h"
#include "smp/image/image_io.h"

namespace smp::codec {

void check_pixel_count(const std::string& name, int64_t w, int64_t h) {
  if (w <= 0 || h <= 0) return;  // unknown from the header: the decoder decides
  if (w * h > kMaxPhotoPixels)
    throw InputError(name, "image is " + std::to_string(w) + "x" + std::to_string(h) + " (" +
                               std::to_string(w * h / 1000000) +
                               " megapixels), more than the 100 megapixels we accept");
}

void rgb_order(const cv::Mat& bgr, cv::Mat& out) {
  if (bgr.channels() == 3)
    cv::cvtColor(bgr, out, cv::COLOR_BGR2RGB);
  else if (bgr.channels() == 4)
    cv::cvtColor(bgr, out, cv::COLOR_BGRA2RGBA);
  else
    bgr.copyTo(out);
}

namespace {

// ------------------------------------------------------------------------------------ JPEG
// libjpeg reports a fatal error by calling error_exit, which must not return. Ours longjmps
// back to the `stage` function that called setjmp. Every such function holds only plain C
// values (everything with a destructor lives in its caller), so the jump skips no destructor.
// Warnings go to emit_message: nothing is printed; a premature end of data is remembered.

struct JpegErr {
  jpeg_error_mgr mgr;  // first member: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  bool hit_eof = false;
  char message[JMSG_LENGTH_MAX] = {0};
};

void jpeg_on_error(j_common_ptr c) {
  auto* e = reinterpret_cast<JpegErr*>(c->err);
  (*c->err->format_message)(c, e->message);
  std::longjmp(e->jump, 1);
}

void jpeg_on_message(j_common_ptr c, int level) {
  if (level >= 0) return;  // trace messages
  auto* e = reinterpret_cast<JpegErr*>(c->err);
  // The data stops early (JPEG_EOF), or an end marker comes before the scan is complete
  // (HIT_MARKER: a cut file with an end glued on): libjpeg fills the rest with grey.
  if (c->err->msg_code == JWRN_JPEG_EOF || c->err->msg_code == JWRN_HIT_MARKER) e->hit_eof = true;
  c->err->num_warnings++;
}

void jpeg_quiet(j_common_ptr) {}

void install(JpegErr& e) {
  jpeg_std_error(&e.mgr);
  e.mgr.error_exit = jpeg_on_error;
  e.mgr.emit_message = jpeg_on_message;
  e.mgr.output_message = jpeg_quiet;
}

bool jpeg_header_stage(jpeg_decompress_struct* c, JpegErr* e, const uint8_t* data, size_t n) {
  if (setjmp(e->jump)) return false;
  jpeg_create_decompress(c);
  jpeg_mem_src(c, data, static_cast<unsigned long>(n));
  jpeg_read_header(c, TRUE);
  return true;
}

bool jpeg_start_stage(jpeg_decompress_struct* c, JpegErr* e) {
  if (setjmp(e->jump)) return false;
  jpeg_start_decompress(c);
  return true;
}

bool jpeg_rows_stage(jpeg_decompress_struct* c, JpegErr* e, uint8_t* base, size_t step) {
  if (setjmp(e->jump)) return false;
  JSAMPROW rows[16];
  while (c->output_scanline < c->output_height) {
    const JDIMENSION y = c->output_scanline;
    const int k = static_cast<int>(std::min<JDIMENSION>(16, c->output_height - y));
    for (int i = 0; i < k; ++i) rows[i] = base + (y + i) * step;
    jpeg_read_scanlines(c, rows, k);
  }
  jpeg_finish_decompress(c);
  return true;
}

struct JpegDecompressGuard {
  jpeg_decompress_struct* c;
  ~JpegDecompressGuard() { jpeg_destroy_decompress(c); }
};

// CMYK as libjpeg returns it -> BGR. Adobe's encoders (and imagemagick) store the samples
// inverted (255 = no ink); then this is OpenCV's formula, pixel for pixel.
cv::Mat cmyk_to_bgr(const cv::Mat& cmyk, bool inverted) {
  cv::Mat bgr(cmyk.size(), CV_8UC3);
  for (int y = 0; y < cmyk.rows; ++y) {
    const uint8_t* s = cmyk.ptr<uint8_t>(y);
    uint8_t* d = bgr.ptr<uint8_t>(y);
    for (int x = 0; x < cmyk.cols; ++x, s += 4, d += 3) {
      int c = s[0], m = s[1], yy = s[2], k = s[3];
      if (!inverted) c = 255 - c, m = 255 - m, yy = 255 - yy, k = 255 - k;
      d[2] = static_cast<uint8_t>(k - ((255 - c) * k >> 8));
      d[1] = static_cast<uint8_t>(k - ((255 - m) * k >> 8));
      d[0] = static_cast<uint8_t>(k - ((255 - yy) * k >> 8));
    }
  }
  return bgr;
}

bool jpeg_encode_stage(jpeg_compress_struct* c, JpegErr* e, const uint8_t* base, size_t step, int w,
                       int h, int comps, int quality, const char* comment, size_t comment_len,
                       bool restart_every_row, unsigned char** buf, unsigned long* size) {
  if (setjmp(e->jump)) return false;
  jpeg_create_compress(c);
  jpeg_mem_dest(c, buf, size);
  c->image_width = static_cast<JDIMENSION>(w);
  c->image_height = static_cast<JDIMENSION>(h);
  c->input_components = comps;
  c->in_color_space = comps == 1 ? JCS_GRAYSCALE : JCS_EXT_BGR;
  jpeg_set_defaults(c);  // JFIF, 4:2:0, integer DCT, no optimised tables: OpenCV's settings
  jpeg_set_quality(c, quality, TRUE);
  if (restart_every_row) c->restart_in_rows = 1;
  jpeg_start_compress(c, TRUE);
  if (comment_len > 0)
    jpeg_write_marker(c, JPEG_COM, reinterpret_cast<const JOCTET*>(comment),
                      static_cast<unsigned int>(comment_len));
  JSAMPROW rows[16];
  while (c->next_scanline < c->image_height) {
    const JDIMENSION y = c->next_scanline;
    const int k = static_cast<int>(std::min<JDIMENSION>(16, c->image_height - y));
    for (int i = 0; i < k; ++i) rows[i] = const_cast<uint8_t*>(base + (y + i) * step);
    jpeg_write_scanlines(c, rows, k);
  }
  jpeg_finish_compress(c);
  return true;
}

// ------------------------------------------------------------------------------------ PNG
// libpng's error callback records the message; libpng then longjmps to png_jmpbuf, set in the
// stage functions below (plain C values only, as for JPEG).

struct PngRead {
  const uint8_t* data;
  size_t size, pos;
  char message[200];
};

void png_on_error(png_structp p, png_const_charp msg) {
  auto* io = static_cast<PngRead*>(png_get_error_ptr(p));
  if (io) std::snprintf(io->message, sizeof(io->message), "%s", msg);
  png_longjmp(p, 1);
}
void png_on_warning(png_structp, png_const_charp) {}

void png_read_mem(png_structp p, png_bytep out, png_size_t n) {
  auto* io = static_cast<PngRead*>(png_get_io_ptr(p));
  if (io->pos + n > io->size) png_error(p, "unexpected end of data");
  std::memcpy(out, io->data + io->pos, n);
  io->pos += n;
}

struct PngShape {
  png_uint_32 width, height;
  int channels, depth;
};

bool png_header_stage(png_structp p, png_infop info, PngRead* io, PngShape* shape) {
  if (setjmp(png_jmpbuf(p))) return false;
  png_set_read_fn(p, io, png_read_mem);
  png_read_info(p, info);
  const int bits = png_get_bit_depth(p, info), type = png_get_color_type(p, info);
  // As OpenCV's IMREAD_UNCHANGED: palettes and low bit depths expand to 8 bits, a tRNS chunk
  // becomes an alpha channel, 16 bits stay 16 (native byte order), colour comes as BGR.
  if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(p);
  if (type == PNG_COLOR_TYPE_GRAY && bits < 8) png_set_expand_gray_1_2_4_to_8(p);
  if (png_get_valid(p, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(p);
  if (bits == 16) png_set_swap(p);
  if (type & PNG_COLOR_MASK_COLOR) png_set_bgr(p);
  png_set_interlace_handling(p);
  png_read_update_info(p, info);
  shape->width = png_get_image_width(p, info);
  shape->height = png_get_image_height(p, info);
  shape->channels = png_get_channels(p, info);
  shape->depth = png_get_bit_depth(p, info);
  return true;
}

bool png_rows_stage(png_structp p, png_bytepp rows) {
  if (setjmp(png_jmpbuf(p))) return false;
  png_read_image(p, rows);
  return true;
}

void png_write_vec(png_structp p, png_bytep data, png_size_t n) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(p));
  out->insert(out->end(), data, data + n);
}
void png_flush_noop(png_structp) {}

bool png_write_stage(png_structp p, png_infop info, std::vector<uint8_t>* out, int w, int h,
                     int depth, int colour_type, bool bgr, png_textp texts, int n_texts,
                     png_bytepp rows, png_colorp plte = nullptr, int n_plte = 0) {
  if (setjmp(png_jmpbuf(p))) return false;
  png_set_write_fn(p, out, png_write_vec, png_flush_noop);
  png_set_compression_level(p, 3);
  png_set_IHDR(p, info, static_cast<png_uint_32>(w), static_cast<png_uint_32>(h), depth,
               colour_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (n_plte > 0) png_set_PLTE(p, info, plte, n_plte);
  if (n_texts > 0) png_set_text(p, info, texts, n_texts);
  png_write_info(p, info);
  if (bgr) png_set_bgr(p);
  if (depth == 16) png_set_swap(p);
  png_write_image(p, rows);
  png_write_end(p, info);
  return true;
}

// ------------------------------------------------------------------------------------ TIFF
// libtiff reads and writes through these callbacks on a memory buffer; its messages go to a
// per-file handler that keeps the last error and prints nothing.

struct TiffMem {
  const uint8_t* data = nullptr;        // reading
  std::vector<uint8_t>* out = nullptr;  // writing
  size_t size = 0, pos = 0;
  std::string error;
};

tsize_t tiff_read(thandle_t h, tdata_t buf, tsize_t n) {
  auto* m = static_cast<TiffMem*>(h);
  const uint8_t* src = m->out ? m->out->data() : m->data;
  const size_t size = m->out ? m->out->size() : m->size;
  if (m->pos >= size) return 0;
  const size_t k = std::min<size_t>(static_cast<size_t>(n), size - m->pos);
  std::memcpy(buf, src + m->pos, k);
  m->pos += k;
  return static_cast<tsize_t>(k);
}
tsize_t tiff_write(thandle_t h, tdata_t buf, tsize_t n) {
  auto* m = static_cast<TiffMem*>(h);
  if (!m->out) return 0;
  if (m->pos + n > m->out->size()) m->out->resize(m->pos + n);
  std::memcpy(m->out->data() + m->pos, buf, static_cast<size_t>(n));
  m->pos += static_cast<size_t>(n);
  return n;
}
toff_t tiff_seek(thandle_t h, toff_t off, int whence) {
  auto* m = static_cast<TiffMem*>(h);
  const size_t size = m->out ? m->out->size() : m->size;
  const int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : size;
  const int64_t to = base + static_cast<int64_t>(off);
  if (to < 0) return static_cast<toff_t>(-1);
  m->pos = static_cast<size_t>(to);
  return static_cast<toff_t>(to);
}
int tiff_close(thandle_t) {
  return 0;
}
toff_t tiff_size(thandle_t h) {
  auto* m = static_cast<TiffMem*>(h);
  return m->out ? m->out->size() : m->size;
}
int tiff_map(thandle_t h, tdata_t* base, toff_t* size) {
  auto* m = static_cast<TiffMem*>(h);
  if (m->out) return 0;
  *base = const_cast<uint8_t*>(m->data);
  *size = m->size;
  return 1;
}
void tiff_unmap(thandle_t, tdata_t, toff_t) {}

int tiff_on_error(TIFF*, void* user, const char*, const char* fmt, va_list ap) {
  char buf[256];
  std::vsnprintf(buf, sizeof(buf), fmt, ap);
  static_cast<TiffMem*>(user)->error = buf;
  return 1;  // handled: libtiff's global handler (stderr) is not called
}
int tiff_on_warning(TIFF*, void*, const char*, const char*, va_list) {
  return 1;
}

// A few libtiff paths still report through the process-wide handlers: silence those too.
void mute_global_tiff_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    TIFFSetErrorHandler(nullptr);
    TIFFSetWarningHandler(nullptr);
  });
}

using TiffPtr = std::unique_ptr<TIFF, void (*)(TIFF*)>;

TiffPtr tiff_open(TiffMem& mem, const char* mode) {
  mute_global_tiff_handlers();
  TIFFOpenOptions* opts = TIFFOpenOptionsAlloc();
  TIFFOpenOptionsSetErrorHandlerExtR(opts, tiff_on_error, &mem);
  TIFFOpenOptionsSetWarningHandlerExtR(opts, tiff_on_warning, &mem);
  TIFF* t = TIFFClientOpenExt("memory", mode, &mem, tiff_read, tiff_write, tiff_seek, tiff_close,
                              tiff_size, tiff_map, tiff_unmap, opts);
  TIFFOpenOptionsFree(opts);
  return TiffPtr(t, [](TIFF* p) {
    if (p) TIFFClose(p);
  });
}

}  // namespace

// ================================================================================== decoders

cv::Mat decode_jpeg(const std::vector<uint8_t>& bytes, const std::string& name, JpegInfo* info) {
  jpeg_decompress_struct c{};
  JpegErr e;
  install(e);
  c.err = &e.mgr;
  JpegDecompressGuard guard{&c};
  auto fail = [&](const char* what) {
    if (e.hit_eof) return InputError(name, "image file is truncated (its end is missing)");
    return InputError(name, std::string("JPEG file is damaged (") + what + ": " + e.message + ")");
  };
  if (!jpeg_header_stage(&c, &e, bytes.data(), bytes.size())) throw fail("unreadable header");
  check_pixel_count(name, c.image_width, c.image_height);
  int type = CV_8UC3;
  if (c.num_components == 1) {
    c.out_color_space = JCS_GRAYSCALE;
    type = CV_8UC1;
  } else if (c.jpeg_color_space == JCS_CMYK || c.jpeg_color_space == JCS_YCCK) {
    c.out_color_space = JCS_CMYK;
    type = CV_8UC4;
  } else {
    c.out_color_space = JCS_EXT_BGR;
  }
  c.dct_method = JDCT_ISLOW;  // OpenCV's (and libjpeg's default): the same pixels
  if (!jpeg_start_stage(&c, &e)) throw fail("undecodable data");
  cv::Mat out(static_cast<int>(c.output_height), static_cast<int>(c.output_width), type);
  if (!jpeg_rows_stage(&c, &e, out.data, out.step)) throw fail("undecodable data");
  // libjpeg only warns when the data stops early, and fills the rest with grey.
  if (e.hit_eof) throw InputError(name, "image file is truncated (its end is missing)");
  if (info) {
    info->components = c.num_components;
    info->adobe = c.saw_Adobe_marker;
  }
  if (type == CV_8UC4) return cmyk_to_bgr(out, c.saw_Adobe_marker);
  return out;
}

cv::Mat decode_png(const std::vector<uint8_t>& bytes, const std::string& name) {
  PngRead io{bytes.data(), bytes.size(), 0, {0}};
  png_structp p = png_create_read_struct(PNG_LIBPNG_VER_STRING, &io, png_on_error, png_on_warning);
  if (!p) throw InternalError("libpng: cannot create a reader");
  png_infop info = png_create_info_struct(p);
  struct Destroy {
    png_structp* p;
    png_infop* i;
    ~Destroy() { png_destroy_read_struct(p, i, nullptr); }
  } destroy{&p, &info};
  if (!info) throw InternalError("libpng: cannot create an info struct");
  PngShape s{};
  if (!png_header_stage(p, info, &io, &s))
    throw InputError(name, std::string("PNG file is damaged (") + io.message + ")");
  check_pixel_count(name, s.width, s.height);
  if (s.channels < 1 || s.channels > 4 || (s.depth != 8 && s.depth != 16))
    throw InputError(name, "PNG layout is not supported");
  cv::Mat out(static_cast<int>(s.height), static_cast<int>(s.width),
              CV_MAKETYPE(s.depth == 16 ? CV_16U : CV_8U, s.channels));
  std::vector<png_bytep> rows(s.height);
  for (png_uint_32 y = 0; y < s.height; ++y) rows[y] = out.ptr<uint8_t>(static_cast<int>(y));
  if (!png_rows_stage(p, rows.data())) {
    if (std::strstr(io.message, "end of data"))
      throw InputError(name, "image file is truncated (its end is missing)");
    throw InputError(name, std::string("PNG file is damaged (") + io.message + ")");
  }
  return out;
}

cv::Mat decode_webp(const std::vector<uint8_t>& bytes, const std::string& name) {
  WebPBitstreamFeatures f;
  if (WebPGetFeatures(bytes.data(), bytes.size(), &f) != VP8_STATUS_OK)
    throw InputError(name, "WebP file is damaged (unreadable header)");
  if (f.has_animation) throw InputError(name, "animated WebP is not supported");
  check_pixel_count(name, f.width, f.height);
  cv::Mat out(f.height, f.width, f.has_alpha ? CV_8UC4 : CV_8UC3);
  const size_t n = out.step * out.rows;
  const int stride = static_cast<int>(out.step);
  uint8_t* ok = f.has_alpha ? WebPDecodeBGRAInto(bytes.data(), bytes.size(), out.data, n, stride)
                            : WebPDecodeBGRInto(bytes.data(), bytes.size(), out.data, n, stride);
  if (!ok) throw InputError(name, "WebP file is damaged (undecodable data)");
  return out;
}

cv::Mat decode_tiff(const std::vector<uint8_t>& bytes, const std::string& name, TiffInfo* info) {
  TiffMem mem;
  mem.data = bytes.data();
  mem.size = bytes.size();
  TiffPtr tif = tiff_open(mem, "rm");
  if (!tif) throw InputError(name, "TIFF file is damaged (" + mem.error + ")");
  uint32_t w = 0, h = 0;
  uint16_t bits = 1, samples = 1, format = SAMPLEFORMAT_UINT, photometric = 0,
           planar = PLANARCONFIG_CONTIG;
  TIFFGetField(tif.get(), TIFFTAG_IMAGEWIDTH, &w);
  TIFFGetField(tif.get(), TIFFTAG_IMAGELENGTH, &h);
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_SAMPLESPERPIXEL, &samples);
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_SAMPLEFORMAT, &format);
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_PLANARCONFIG, &planar);
  if (!TIFFGetField(tif.get(), TIFFTAG_PHOTOMETRIC, &photometric))
    photometric = samples >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
  check_pixel_count(name, w, h);
  if (w == 0 || h == 0) throw InputError(name, "TIFF has no image size");
  if (info) {
    info->samples = samples;
    info->cmyk = photometric == PHOTOMETRIC_SEPARATED;
  }
  const bool grey = photometric == PHOTOMETRIC_MINISBLACK && (samples == 1 || samples == 2);
  const bool rgb = photometric == PHOTOMETRIC_RGB && (samples == 3 || samples == 4);
  const int depth = bits == 8 && format == SAMPLEFORMAT_UINT      ? CV_8U
                    : bits == 16 && format == SAMPLEFORMAT_UINT   ? CV_16U
                    : bits == 32 && format == SAMPLEFORMAT_IEEEFP ? CV_32F
                                                                  : -1;
  if ((grey || rgb) && planar == PLANARCONFIG_CONTIG && depth >= 0) {
    // Samples as stored, rows in file order (the Orientation tag is applied by the caller).
    cv::Mat out(static_cast<int>(h), static_cast<int>(w), CV_MAKETYPE(depth, samples));
    const size_t row_bytes = out.cols * out.elemSize();
    if (TIFFIsTiled(tif.get())) {
      uint32_t tw = 0, th = 0;
      TIFFGetField(tif.get(), TIFFTAG_TILEWIDTH, &tw);
      TIFFGetField(tif.get(), TIFFTAG_TILELENGTH, &th);
      const tmsize_t tile_size = TIFFTileSize(tif.get());
      if (tw == 0 || th == 0 || tile_size < tmsize_t(tw) * th * tmsize_t(out.elemSize()))
        throw InputError(name, "TIFF tiles are damaged");
      std::vector<uint8_t> tile(static_cast<size_t>(tile_size));
      for (uint32_t y = 0; y < h; y += th)
        for (uint32_t x = 0; x < w; x += tw) {
          if (TIFFReadTile(tif.get(), tile.data(), x, y, 0, 0) < 0)
            throw InputError(name, "TIFF file is damaged (" + mem.error + ")");
          const uint32_t cw = std::min(tw, w - x), ch = std::min(th, h - y);
          for (uint32_t r = 0; r < ch; ++r)
            std::memcpy(out.ptr<uint8_t>(static_cast<int>(y + r)) + x * out.elemSize(),
                        &tile[r * tw * out.elemSize()], cw * out.elemSize());
        }
    } else {
      if (TIFFScanlineSize(tif.get()) != static_cast<tmsize_t>(row_bytes))
        throw InputError(name, "TIFF rows are damaged");
      for (uint32_t y = 0; y < h; ++y)
        if (TIFFReadScanline(tif.get(), out.ptr(static_cast<int>(y)), y, 0) < 0)
          throw InputError(name, "TIFF file is damaged (" + mem.error + ")");
    }
    if (samples == 3) cv::cvtColor(out, out, cv::COLOR_RGB2BGR);
    if (samples == 4) cv::cvtColor(out, out, cv::COLOR_RGBA2BGRA);
    return out;
  }
  // Everything else libtiff can turn into 8-bit RGBA: palettes, CMYK, YCbCr, 1-16 bit grey,
  // min-is-white, planar layouts.
  char why[1024] = {0};
  if (!TIFFRGBAImageOK(tif.get(), why))
    throw InputError(name, std::string("TIFF layout is not supported (") + why + ")");
  TIFFRGBAImage img;
  if (!TIFFRGBAImageBegin(&img, tif.get(), 0, why))
    throw InputError(name, std::string("TIFF file is damaged (") + why + ")");
  // Rows in file order, as above: the reader would otherwise apply the flips of the
  // Orientation tag, and the caller applies it once more.
  img.orientation = ORIENTATION_TOPLEFT;
  img.req_orientation = ORIENTATION_TOPLEFT;
  cv::Mat rgba(static_cast<int>(h), static_cast<int>(w), CV_8UC4);
  const int ok = TIFFRGBAImageGet(&img, reinterpret_cast<uint32_t*>(rgba.data), w, h);
  const bool alpha = img.alpha != 0;
  TIFFRGBAImageEnd(&img);
  if (!ok) throw InputError(name, "TIFF file is damaged (" + mem.error + ")");
  cv::Mat out;  // the raster holds R, G, B, A bytes in memory order
  cv::cvtColor(rgba, out, alpha ? cv::COLOR_RGBA2BGRA : cv::COLOR_RGBA2BGR);
  return out;
}

// ================================================================================== encoders

namespace {

// One JPEG stream of `m` (whole, or a strip of a larger image).
std::vector<uint8_t> encode_jpeg_stream(const cv::Mat& m, int quality, const std::string& comment,
                                        bool restart_every_row) {
  jpeg_compress_struct c{};
  JpegErr e;
  install(e);
  c.err = &e.mgr;
  struct Out {
    jpeg_compress_struct* c;
    unsigned char* buf = nullptr;
    unsigned long size = 0;
    ~Out() {
      jpeg_destroy_compress(c);
      std::free(buf);
    }
  } out{&c};
  if (!jpeg_encode_stage(&c, &e, m.data, m.step, m.cols, m.rows, m.channels(), quality,
                         comment.data(), comment.size(), restart_every_row, &out.buf, &out.size))
    throw InternalError(std::string("JPEG encoder failed: ") + e.message);
  return std::vector<uint8_t>(out.buf, out.buf + out.size);
}

// Offset of the entropy-coded data of a stream libjpeg wrote (just past its SOS segment), and
// of its SOF0 segment.
void jpeg_layout(const std::vector<uint8_t>& j, size_t& scan, size_t& sof) {
  size_t pos = 2;  // past SOI
  sof = 0;
  while (pos + 4 <= j.size()) {
    SMP_CHECK(j[pos] == 0xFF);
    const uint8_t marker = j[pos + 1];
    const size_t len = be16(&j[pos + 2]);
    if (marker == 0xC0) sof = pos;
    pos += 2 + len;
    if (marker == 0xDA) {
      scan = pos;
      SMP_CHECK(sof > 0 && scan <= j.size());
      return;
    }
  }
  SMP_CHECK(!"JPEG stream without a scan");
}

}  // namespace

std::vector<uint8_t> encode_jpeg(const cv::Mat& img, int quality, const std::string& comment,
                                 int threads) {
  SMP_CHECK(img.depth() == CV_8U);
  cv::Mat m = img;
  if (m.channels() == 4) cv::cvtColor(img, m, cv::COLOR_BGRA2BGR);
  SMP_CHECK(m.channels() == 1 || m.channels() == 3);
  quality = std::clamp(quality, 1, 100);
  // Huffman coding runs through the image in one sequence, so libjpeg uses one core. A photo of
  // some megapixels is cut into strips encoded side by side with a restart marker after each
  // row of blocks (which resets the DC prediction), and the strips' scans joined into one: a
  // plain baseline JPEG that decodes to the very same pixels (the colour conversion and the
  // chroma averaging read no row outside their 16-row band), ~0.1 % larger.
  // Strips of 128 rows: 8 (or 16) rows of blocks, so every strip's markers RST0..7 already
  // follow on from the strip before, and the one marker between two strips is RST7.
  constexpr int kStripRows = 128;
  const int bands = m.rows / kStripRows;
  const int n = std::min({thread_count(threads), bands, static_cast<int>(m.total() / 1500000)});
  if (n <= 1) return encode_jpeg_stream(m, quality, comment, false);
  std::vector<int> y(n + 1);
  for (int i = 0; i < n; ++i) y[i] = static_cast<int>(int64_t(bands) * i / n) * kStripRows;
  y[n] = m.rows;
  std::vector<std::vector<uint8_t>> part(n);
  parallel_for(
      n,
      [&](int b, int e) {
        for (int i = b; i < e; ++i)
          part[i] = encode_jpeg_stream(m.rowRange(y[i], y[i + 1]), quality,
                                       i == 0 ? comment : std::string(), true);
      },
      n, 1);
  size_t scan0 = 0, sof0 = 0;
  jpeg_layout(part[0], scan0, sof0);
  std::vector<uint8_t> out(part[0].begin(), part[0].end() - 2);  // all but its EOI
  // SOF0: length (2), precision (1), then the height.
  out[sof0 + 5] = static_cast<uint8_t>(m.rows >> 8);
  out[sof0 + 6] = static_cast<uint8_t>(m.rows & 0xFF);
  for (int i = 1; i < n; ++i) {
    size_t scan = 0, sof = 0;
    jpeg_layout(part[i], scan, sof);
    SMP_CHECK(part[i].size() >= scan + 2 && part[i].end()[-2] == 0xFF && part[i].end()[-1] == 0xD9);
    out.push_back(0xFF);
    out.push_back(0xD7);
    out.insert(out.end(), part[i].begin() + static_cast<std::ptrdiff_t>(scan), part[i].end() - 2);
  }
  out.push_back(0xFF);
  out.push_back(0xD9);
  return out;
}

namespace {

// One PNG of `img`'s rows through libpng (a writer, its info and their clean-up), the shared
// part of the two encoders below.
std::vector<uint8_t> write_png(const cv::Mat& img, int colour_type, bool bgr,
                               std::vector<png_text>& texts, std::vector<png_color>& plte) {
  PngRead err{nullptr, 0, 0, {0}};
  png_structp p =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, &err, png_on_error, png_on_warning);
  if (!p) throw InternalError("libpng: cannot create a writer");
  png_infop info = png_create_info_struct(p);
  struct Destroy {
    png_structp* p;
    png_infop* i;
    ~Destroy() { png_destroy_write_struct(p, i); }
  } destroy{&p, &info};
  if (!info) throw InternalError("libpng: cannot create an info struct");
  std::vector<png_bytep> rows(img.rows);
  for (int y = 0; y < img.rows; ++y) rows[y] = const_cast<uint8_t*>(img.ptr<uint8_t>(y));
  std::vector<uint8_t> out;
  out.reserve(img.total() * img.elemSize() / (plte.empty() ? 2 : 8) + 1024);
  if (!png_write_stage(p, info, &out, img.cols, img.rows, img.depth() == CV_16U ? 16 : 8,
                       colour_type, bgr, texts.data(), static_cast<int>(texts.size()), rows.data(),
                       plte.data(), static_cast<int>(plte.size())))
    throw InternalError(std::string("PNG encoder failed: ") + err.message);
  return out;
}

}  // namespace

std::vector<uint8_t> encode_png_libpng(const cv::Mat& img, const std::vector<std::string>& texts) {
  SMP_CHECK(img.depth() == CV_8U || img.depth() == CV_16U);
  const int ch = img.channels();
  SMP_CHECK(ch >= 1 && ch <= 4);
  const int type = ch == 1   ? PNG_COLOR_TYPE_GRAY
                   : ch == 2 ? PNG_COLOR_TYPE_GRAY_ALPHA
                   : ch == 3 ? PNG_COLOR_TYPE_RGB
                             : PNG_COLOR_TYPE_RGB_ALPHA;
  // "keyword\0text" payloads -> png_text records pointing into `parts` (alive until the end).
  std::vector<std::pair<std::string, std::string>> parts;
  for (const std::string& t : texts) {
    const size_t nul = t.find('\0');
    parts.emplace_back(t.substr(0, nul), nul == std::string::npos ? "" : t.substr(nul + 1));
  }
  std::vector<png_text> records(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    records[i] = png_text{};
    records[i].compression = PNG_TEXT_COMPRESSION_NONE;
    records[i].key = parts[i].first.data();
    records[i].text = parts[i].second.data();
    records[i].text_length = parts[i].second.size();
  }
  std::vector<png_color> no_palette;
  return write_png(img, type, ch >= 3, records, no_palette);
}

std::vector<uint8_t> encode_png_palette(const cv::Mat& indices,
                                        const std::vector<cv::Vec3b>& palette_bgr) {
  SMP_CHECK(indices.type() == CV_8UC1);
  SMP_CHECK(!palette_bgr.empty() && palette_bgr.size() <= 256);
  double top = 0;
  cv::minMaxLoc(indices, nullptr, &top);
  SMP_CHECK(top < static_cast<double>(palette_bgr.size()));
  std::vector<png_color> plte(palette_bgr.size());
  for (size_t i = 0; i < plte.size(); ++i)
    plte[i] = png_color{palette_bgr[i][2], palette_bgr[i][1], palette_bgr[i][0]};
  std::vector<png_text> no_texts;
  return write_png(indices, PNG_COLOR_TYPE_PALETTE, false, no_texts, plte);
}

std::vector<uint8_t> encode_webp(const cv::Mat& img, int quality) {
  SMP_CHECK(img.depth() == CV_8U);
  cv::Mat m = img;
  if (m.channels() == 1) cv::cvtColor(img, m, cv::COLOR_GRAY2BGR);
  SMP_CHECK(m.channels() == 3 || m.channels() == 4);
  uint8_t* data = nullptr;
  size_t n = 0;
  const int stride = static_cast<int>(m.step);
  const bool lossless = quality > 100;
  const float q = static_cast<float>(std::clamp(quality, 1, 100));
  if (m.channels() == 3)
    n = lossless ? WebPEncodeLosslessBGR(m.data, m.cols, m.rows, stride, &data)
                 : WebPEncodeBGR(m.data, m.cols, m.rows, stride, q, &data);
  else
    n = lossless ? WebPEncodeLosslessBGRA(m.data, m.cols, m.rows, stride, &data)
                 : WebPEncodeBGRA(m.data, m.cols, m.rows, stride, q, &data);
  std::unique_ptr<uint8_t, void (*)(void*)> guard(data, WebPFree);
  if (n == 0) throw InternalError("WebP encoder failed");
  return std::vector<uint8_t>(data, data + n);
}

std::vector<uint8_t> encode_tiff(const cv::Mat& img) {
  SMP_CHECK(img.depth() == CV_8U || img.depth() == CV_16U);
  const int ch = img.channels();
  SMP_CHECK(ch == 1 || ch == 3 || ch == 4);
  std::vector<uint8_t> out;
  TiffMem mem;
  mem.out = &out;
  {
    TiffPtr tif = tiff_open(mem, "wm");
    if (!tif) throw InternalError("TIFF encoder failed: " + mem.error);
    TIFF* t = tif.get();
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, static_cast<uint32_t>(img.cols));
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, static_cast<uint32_t>(img.rows));
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, img.depth() == CV_16U ? 16 : 8);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, ch);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, ch == 1 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB);
    if (ch == 4) {
      const uint16_t extra = EXTRASAMPLE_UNASSALPHA;
      TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &extra);
    }
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
    TIFFSetField(t, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, TIFFDefaultStripSize(t, 0));
    cv::Mat row;
    for (int y = 0; y < img.rows; ++y) {
      rgb_order(img.row(y), row);
      if (TIFFWriteScanline(t, row.data, static_cast<uint32_t>(y), 0) < 0)
        throw InternalError("TIFF encoder failed: " + mem.error);
    }
  }  // TIFFClose writes the directory
  return out;
}

}  // namespace smp::codec
