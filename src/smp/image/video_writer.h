// Video files through OpenCV's videoio (FFmpeg), loaded only when a video is written: videoio
// links imgcodecs, GDAL and FFmpeg, ~230 shared libraries that every `smp` start would load
// otherwise (~0.27 s). The code that needs them lives in the `smp-video.so` plugin next to the
// `smp` executable (src/plugins/video_opencv.cpp), opened with dlopen on first use.
#pragma once
#include <opencv2/core.hpp>
#include <string>

namespace smp {

// The subset of cv::VideoWriter that `smp compare --video` uses.
class VideoWriter {
 public:
  VideoWriter() = default;
  ~VideoWriter() { release(); }
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  static int fourcc(char a, char b, char c, char d) {
    return (a & 255) | ((b & 255) << 8) | ((c & 255) << 16) | ((d & 255) << 24);
  }
  // FFmpeg backend. False when FFmpeg cannot write this codec; throws InputError when the
  // plugin is missing.
  bool open(const std::string& path, int fourcc, double fps, cv::Size size);
  bool isOpened() const { return handle_ != nullptr; }
  // 8-bit BGR frames of the size given to open().
  void write(const cv::Mat& bgr);
  void release();

 private:
  void* handle_ = nullptr;
};

}  // namespace smp
