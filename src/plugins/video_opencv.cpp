// The `smp-video.so` plugin: OpenCV's videoio (FFmpeg) behind a small C interface, so that only
// `smp compare --video` loads videoio's ~230 shared libraries (see smp/image/video_writer.h).
#include <fcntl.h>
#include <unistd.h>

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

namespace {
// OpenCV's FFmpeg backend prints to stderr (e.g. "tag 'VP80' is not supported ..." while it
// picks a container tag); smp never prints from the library, so fd 2 points to /dev/null
// while a file is opened.
class MuteStderr {
 public:
  MuteStderr() : saved_(dup(2)) {
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, 2);
      close(null);
    }
  }
  ~MuteStderr() {
    if (saved_ >= 0) {
      dup2(saved_, 2);
      close(saved_);
    }
  }

 private:
  int saved_;
};
}  // namespace

extern "C" {

__attribute__((visibility("default"))) void* smp_video_open(const char* path, int fourcc,
                                                            double fps, int w, int h) {
  try {
    auto* vw = new cv::VideoWriter;
    MuteStderr mute;
    if (vw->open(path, cv::CAP_FFMPEG, fourcc, fps, cv::Size(w, h), true)) return vw;
    delete vw;
  } catch (...) {
  }
  return nullptr;
}

__attribute__((visibility("default"))) int smp_video_write(void* handle, const unsigned char* bgr,
                                                           int w, int h, size_t step) {
  try {
    const cv::Mat frame(h, w, CV_8UC3, const_cast<unsigned char*>(bgr), step);
    static_cast<cv::VideoWriter*>(handle)->write(frame);
    return 1;
  } catch (...) {
    return 0;
  }
}

__attribute__((visibility("default"))) void smp_video_close(void* handle) {
  try {
    delete static_cast<cv::VideoWriter*>(handle);  // releases: the file is complete
  } catch (...) {
  }
}

}  // extern "C"
