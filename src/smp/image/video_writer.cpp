#include "smp/image/video_writer.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <mutex>

#include "smp/core/errors.h"

namespace smp {
namespace {

// The plugin's C interface (src/plugins/video_opencv.cpp).
struct VideoPlugin {
  void* (*open)(const char*, int, double, int, int) = nullptr;
  int (*write)(void*, const unsigned char*, int, int, size_t) = nullptr;
  void (*close)(void*) = nullptr;
};

std::string plugin_path() {
  char exe[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return "smp-video.so";
  exe[n] = 0;
  return (std::filesystem::path(exe).parent_path() / "smp-video.so").string();
}

// Loaded once per process; never unloaded (FFmpeg keeps global state). `why` says what failed.
const VideoPlugin* plugin(std::string* why = nullptr) {
  static VideoPlugin p;
  static bool ok = false;
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = dlopen(plugin_path().c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* e = dlerror();
      error = e ? e : "dlopen failed";
      const std::string prefix = plugin_path() + ": ";
      if (error.rfind(prefix, 0) == 0) error.erase(0, prefix.size());
      return;
    }
    p.open = reinterpret_cast<decltype(p.open)>(dlsym(lib, "smp_video_open"));
    p.write = reinterpret_cast<decltype(p.write)>(dlsym(lib, "smp_video_write"));
    p.close = reinterpret_cast<decltype(p.close)>(dlsym(lib, "smp_video_close"));
    ok = p.open && p.write && p.close;
    if (!ok) error = "not an smp video plugin";
  });
  if (why) *why = error;
  return ok ? &p : nullptr;
}

}  // namespace

bool VideoWriter::open(const std::string& path, int fourcc, double fps, cv::Size size) {
  release();
  std::string why;
  const VideoPlugin* p = plugin(&why);
  // Named by the plugin's path (the caller's `path` is often a temporary name).
  if (!p)
    throw InputError(plugin_path(), "this video plugin is needed to write a video (" + why + ")");
  handle_ = p->open(path.c_str(), fourcc, fps, size.width, size.height);
  return handle_ != nullptr;
}

void VideoWriter::write(const cv::Mat& bgr) {
  SMP_CHECK(handle_ && bgr.type() == CV_8UC3);
  plugin()->write(handle_, bgr.data, bgr.cols, bgr.rows, bgr.step);
}

void VideoWriter::release() {
  if (handle_) plugin()->close(handle_);
  handle_ = nullptr;
}

}  // namespace smp
