// Composites, anonymisation, the slider page and the wipe video of an aligned pair.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <random>

#include "smp/core/errors.h"
#include "smp/core/files.h"
#include "smp/core/rect.h"
#include "smp/core/text.h"
#include "smp/image/image_io.h"
#include "smp/image/video_writer.h"
#include "smp/photo/compare.h"

namespace smp {

namespace {

std::vector<cv::Point> pts(const Face& f, int from, int to) {
  std::vector<cv::Point> p;
  for (int i = from; i <= to; ++i) p.push_back(f.landmarks[i]);
  return p;
}

// A bar over both eyes and brows' lower edge, along the eye line (follows the head's roll).
std::vector<cv::Point> eye_bar(const Face& f) {
  cv::Point2d l = f.landmarks[36], r = f.landmarks[45];
  cv::Point2d c = 0.5 * (l + r), u = r - l;
  double len = cv::norm(u);
  if (len < 1) return {};
  u /= len;
  cv::Point2d n(-u.y, u.x);
  double half_w = 0.8 * len, half_h = 0.3 * len;
  std::vector<cv::Point> bar;
  for (auto [sx, sy] : {std::pair{-1, -1}, {1, -1}, {1, 1}, {-1, 1}})
    bar.push_back(c + u * (sx * half_w) + n * (sy * half_h));
  return bar;
}

// The face to a little above the brows: landmarks plus the jaw line lifted by a fifth of the face
// height. The forehead above stays visible: the hairline is the result the photo must show.
std::vector<cv::Point> face_outline(const Face& f) {
  std::vector<cv::Point2d> p(f.landmarks.begin(), f.landmarks.end());
  cv::Point2d brow = 0.5 * (f.landmarks[19] + f.landmarks[24]), chin = f.landmarks[8];
  for (int i = 0; i <= 16; ++i) {
    cv::Point2d q = f.landmarks[i];
    p.push_back(q + (brow - chin) * 0.2);
  }
  std::vector<cv::Point> ip(p.begin(), p.end()), hull;
  cv::convexHull(ip, hull);
  // A little margin so ears and cheek edges go too.
  cv::Point2d ctr(0, 0);
  for (auto& h : hull) ctr += cv::Point2d(h);
  ctr /= static_cast<double>(hull.size());
  for (auto& h : hull) h = ctr + (cv::Point2d(h) - ctr) * 1.12;
  return hull;
}

void put_label(cv::Mat& img, const std::string& text, cv::Point org, double scale, bool box) {
  int thick = std::max(1, static_cast<int>(std::lround(scale * 1.6)));
  int base = 0;
  cv::Size ts = cv::getTextSize(text, cv::FONT_HERSHEY_DUPLEX, scale, thick, &base);
  if (box) {
    cv::Rect r(org.x - ts.height / 2, org.y - ts.height - ts.height / 2, ts.width + ts.height,
               ts.height * 2 + base / 2);
    r &= cv::Rect(0, 0, img.cols, img.rows);
    cv::Mat roi = img(r);
    cv::Mat dark(roi.size(), roi.type(), cv::Scalar(20, 20, 20));
    cv::addWeighted(roi, 0.35, dark, 0.65, 0, roi);
  }
  cv::putText(img, text, org, cv::FONT_HERSHEY_DUPLEX, scale, cv::Scalar(255, 255, 255), thick,
              cv::LINE_AA);
}

int text_width(const std::string& text, double scale) {
  int base = 0;
  int thick = std::max(1, static_cast<int>(std::lround(scale * 1.6)));
  return cv::getTextSize(text, cv::FONT_HERSHEY_DUPLEX, scale, thick, &base).width;
}

// The largest scale up to `scale` at which `text` fits in `width` pixels.
double fit_scale(const std::string& text, double scale, int width) {
  int w = text_width(text, scale);
  return w <= width ? scale : std::max(0.3, scale * width / static_cast<double>(w));
}

std::string caption(const std::string& word, const std::string& date) {
  return date.empty() ? word : word + "  " + date;
}

}  // namespace

cv::Mat fit_long_side(const cv::Mat& img, int long_side) {
  int l = std::max(img.cols, img.rows);
  if (l <= long_side) return img.clone();
  double s = static_cast<double>(long_side) / l;
  cv::Mat out;
  cv::resize(img, out,
             cv::Size(std::max(1, static_cast<int>(std::lround(img.cols * s))),
                      std::max(1, static_cast<int>(std::lround(img.rows * s)))),
             0, 0, cv::INTER_AREA);
  return out;
}

std::vector<cv::Rect> eye_boxes(const Face& f, cv::Size size) {
  std::vector<cv::Rect> boxes;
  for (int from : {36, 42}) {
    cv::Rect r = cv::boundingRect(pts(f, from, from + 5));
    int pad = std::max(1, r.width / 4);
    r = padded(r, pad, cv::Rect(0, 0, size.width, size.height));
    boxes.push_back(r);
  }
  return boxes;
}

cv::Mat anonymize(const cv::Mat& bgr8, const std::vector<Face>& faces, Anonymize how) {
  cv::Mat out = bgr8.clone();
  if (how == Anonymize::kNone) return out;
  for (const Face& f : faces) {
    if (how == Anonymize::kEyes) {
      auto bar = eye_bar(f);
      if (!bar.empty()) cv::fillConvexPoly(out, bar, cv::Scalar(0, 0, 0), cv::LINE_AA);
      continue;
    }
    // Face: a mosaic about six blocks across, blurred by half a block: no feature (eyes, brows,
    // mouth) survives as a shape, only the skin tone, and it reads as deliberate, not broken.
    auto outline = face_outline(f);
    cv::Mat mask = cv::Mat::zeros(out.size(), CV_8U);
    cv::fillConvexPoly(mask, outline, 255);
    cv::Rect r = cv::boundingRect(outline) & cv::Rect(0, 0, out.cols, out.rows);
    if (r.area() <= 0) continue;
    int block = std::max(4, r.width / 6);
    cv::Mat small, mosaic;
    cv::resize(out(r), small, cv::Size(std::max(1, r.width / block), std::max(1, r.height / block)),
               0, 0, cv::INTER_AREA);
    cv::resize(small, mosaic, r.size(), 0, 0, cv::INTER_NEAREST);
    cv::GaussianBlur(mosaic, mosaic, cv::Size(), block / 2.0);
    mosaic.copyTo(out(r), mask(r));
  }
  return out;
}

void anonymize_pair(Comparison& c, Anonymize how) {
  if (how == Anonymize::kNone) return;
  std::vector<Face> faces;
  if (c.face_before) faces.push_back(*c.face_before);
  if (c.face_after) faces.push_back(*c.face_after);
  faces.insert(faces.end(), c.other_faces.begin(), c.other_faces.end());
  // Both photos are in the same frame now: cover both sets of landmarks in both images.
  c.before = anonymize(c.before, faces, how);
  c.after = anonymize(c.after, faces, how);
}

cv::Mat compose(const Comparison& c, Layout layout, const Captions& cap) {
  const cv::Mat& b = c.before;
  const cv::Mat& a = c.after;
  SMP_CHECK(b.size() == a.size());
  double fs = std::max(0.5, std::min(b.cols, b.rows) / 600.0);
  if (layout == Layout::kSide) {
    int gap = std::max(4, b.cols / 150);
    int bar = static_cast<int>(std::lround(fs * 44));
    cv::Mat out(b.rows + bar, 2 * b.cols + gap, CV_8UC3, cv::Scalar(24, 24, 24));
    b.copyTo(out(cv::Rect(0, 0, b.cols, b.rows)));
    a.copyTo(out(cv::Rect(b.cols + gap, 0, a.cols, a.rows)));
    int y = b.rows + static_cast<int>(bar * 0.7);
    put_label(out, caption(cap.before, cap.before_date), {static_cast<int>(fs * 14), y}, fs, false);
    put_label(out, caption(cap.after, cap.after_date),
              {b.cols + gap + static_cast<int>(fs * 14), y}, fs, false);
    return out;
  }
  if (layout == Layout::kSplit) {
    cv::Mat out = b.clone();
    int x = std::clamp(static_cast<int>(std::lround(c.split_x)), 1, b.cols - 1);
    a(cv::Rect(x, 0, a.cols - x, a.rows)).copyTo(out(cv::Rect(x, 0, a.cols - x, a.rows)));
    cv::line(out, {x, 0}, {x, out.rows}, cv::Scalar(255, 255, 255), std::max(2, b.cols / 400),
             cv::LINE_AA);
    // Each caption on its own side of the divider, smaller when the side is narrow.
    std::string tb = caption(cap.before, cap.before_date), ta = caption(cap.after, cap.after_date);
    int margin = static_cast<int>(fs * 14);
    double s =
        std::min(fit_scale(tb, fs, x - 2 * margin), fit_scale(ta, fs, out.cols - x - 2 * margin));
    int y = static_cast<int>(s * 36);
    put_label(out, tb, {margin, y}, s, true);
    put_label(out, ta, {out.cols - text_width(ta, s) - margin, y}, s, true);
    return out;
  }
  cv::Mat out;
  cv::addWeighted(b, 0.5, a, 0.5, 0, out);
  if (!c.changed_mask.empty()) {
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(c.changed_mask.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    cv::drawContours(out, contours, -1, cv::Scalar(255, 0, 255), std::max(1, b.cols / 500),
                     cv::LINE_AA);
  }
  std::string text = "Overlay: " + caption(cap.before, cap.before_date) + " / " +
                     caption(cap.after, cap.after_date);
  double s = fit_scale(text, fs, out.cols - static_cast<int>(fs * 28));
  put_label(out, text, {static_cast<int>(fs * 14), static_cast<int>(s * 36)}, s, true);
  return out;
}

std::string slider_page(const cv::Mat& before, const cv::Mat& after, const std::string& title,
                        const Captions& cap, const std::string& figures_html) {
  auto uri = [](const cv::Mat& m) {
    return "data:image/jpeg;base64," + base64(encode_image(m, "jpg", {.jpeg_quality = 90}));
  };
  std::string cb = html_escape(caption(cap.before, cap.before_date));
  std::string ca = html_escape(caption(cap.after, cap.after_date));
  std::string page = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data: 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>)" + html_escape(title) +
                     R"(</title>
<style>)" + slider_css() +
                     R"(</style></head><body><main>
<h1>)" + html_escape(title) +
                     R"(</h1>
)" + slider_figure(uri(before), uri(after), cb, ca, before.cols, before.rows, false) +
                     figures_html +
                     R"(
</main><script>)" + slider_js() +
                     R"(</script></body></html>
)";
  return page;
}

std::string slider_css() {
  return R"(
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#111;color:#eee}
main{max-width:1100px;margin:0 auto;padding:12px}h1{font-size:1.4rem;margin:.4em 0}a{color:#9cf}
.ba{position:relative;margin:0;display:block;user-select:none;-webkit-user-select:none;touch-action:pan-y;cursor:ew-resize;--pos:50%;overflow:hidden;border-radius:6px;background:#222}
.ba img{display:block;width:100%;height:auto;pointer-events:none}
.ba .after{position:absolute;inset:0;clip-path:inset(0 0 0 var(--pos))}
.ba .after img{width:100%;height:100%;object-fit:cover}
.ba .handle{position:absolute;top:0;bottom:0;left:var(--pos);width:3px;margin-left:-1px;background:#fff;box-shadow:0 0 4px #000}
.ba .handle::after{content:"\2194";position:absolute;top:50%;left:50%;transform:translate(-50%,-50%);width:44px;height:44px;border-radius:50%;background:#fff;color:#111;font-size:24px;line-height:44px;text-align:center;box-shadow:0 0 6px #000}
.ba:focus-within .handle::after{outline:3px solid #4af;outline-offset:2px}
.ba .lab{position:absolute;top:8px;padding:2px 8px;background:rgba(0,0,0,.6);border-radius:4px;font-size:.9rem}
.ba .lb{left:8px}.ba .la{right:8px}
.ba input{position:absolute;left:0;bottom:0;width:100%;height:100%;opacity:0;margin:0;pointer-events:none}
.figs{margin:12px 0;border-collapse:collapse}.figs td,.figs th{padding:3px 10px;border-bottom:1px solid #333;text-align:left}
.warn{background:#552;padding:8px;border-radius:4px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:14px;padding:0;list-style:none}
.grid a{display:block;text-decoration:none;color:inherit;background:#1c1c1c;border-radius:6px;overflow:hidden}
.grid img{display:block;width:100%;height:auto}.grid p{margin:6px 10px}
)";
}

std::string slider_figure(const std::string& before_src, const std::string& after_src,
                          const std::string& cb, const std::string& ca, int w, int h, bool lazy) {
  std::string ld = lazy ? " loading=\"lazy\" decoding=\"async\"" : "";
  std::string wh = " width=\"" + std::to_string(w) + "\" height=\"" + std::to_string(h) + "\"";
  return R"(<figure class="ba" id="slider">
<img class="before" src=")" +
         before_src + "\" alt=\"" + cb + "\"" + wh + ld + R"(>
<div class="after"><img src=")" +
         after_src + "\" alt=\"" + ca + "\"" + wh + ld + R"(></div>
<div class="handle" aria-hidden="true"></div>
<span class="lab lb">)" +
         cb + R"(</span><span class="lab la">)" + ca + R"(</span>
<input type="range" min="0" max="100" step="0.5" value="50" aria-label="Before and after: move left to see more of the after photo, right to see more of the before photo">
</figure>)";
}

std::string slider_js() {
  // Pointer events cover mouse, pen and touch; the range input gives keyboard access (arrows,
  // Home/End) and screen-reader semantics.
  return R"(
document.querySelectorAll('.ba').forEach(function(f){
  var r=f.querySelector('input');
  function set(v){v=Math.max(0,Math.min(100,v));r.value=v;f.style.setProperty('--pos',v+'%');}
  r.addEventListener('input',function(){set(parseFloat(r.value));});
  function at(e){var b=f.getBoundingClientRect();set((e.clientX-b.left)/b.width*100);}
  var drag=false;
  f.addEventListener('pointerdown',function(e){drag=true;f.setPointerCapture(e.pointerId);at(e);r.focus({preventScroll:true});});
  f.addEventListener('pointermove',function(e){if(drag)at(e);});
  f.addEventListener('pointerup',function(){drag=false;});
  f.addEventListener('pointercancel',function(){drag=false;});
  set(parseFloat(r.value));
});
)";
}

void write_wipe_video(const std::string& path, const cv::Mat& before, const cv::Mat& after,
                      double seconds, double fps) {
  std::string ext = file_extension(path);
  std::vector<int> fourccs;
  if (ext == "webm")
    fourccs = {VideoWriter::fourcc('V', 'P', '8', '0')};
  else if (ext == "mp4")
    fourccs = {VideoWriter::fourcc('a', 'v', 'c', '1'), VideoWriter::fourcc('m', 'p', '4', 'v')};
  else
    throw UsageError("--video " + path + ": expected a .webm or .mp4 file name");
  SMP_CHECK(before.size() == after.size());
  // Codecs want even sizes; a results video needs no more than 1280 px.
  cv::Mat b = fit_long_side(before, 1280), a = fit_long_side(after, 1280);
  cv::Rect even(0, 0, b.cols & ~1, b.rows & ~1);
  b = b(even).clone();
  a = a(even).clone();
  std::filesystem::path p(path);
  std::random_device rd;
  std::string tmp = (p.parent_path() / (".smp-tmp-" + std::to_string(rd()) + "." + ext)).string();
  VideoWriter vw;
  for (int cc : fourccs) {
    if (vw.open(tmp, cc, fps, b.size())) break;
  }
  if (!vw.isOpened()) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw InputError(path, "this build's video writer (OpenCV/FFmpeg) cannot encode ." + ext +
                               "; use .webm (VP8)");
  }
  int n = std::max(10, static_cast<int>(seconds * fps));
  int hold = n / 5;  // still before, then the wipe, then still after
  int line = std::max(2, b.cols / 300);
  for (int i = 0; i < n; ++i) {
    double t = std::clamp((i - hold) / static_cast<double>(n - 2 * hold), 0.0, 1.0);
    t = t * t * (3 - 2 * t);  // ease in and out
    int x = static_cast<int>(std::lround(t * b.cols));
    cv::Mat f = b.clone();
    if (x > 0) a(cv::Rect(0, 0, x, a.rows)).copyTo(f(cv::Rect(0, 0, x, a.rows)));
    if (x > 0 && x < b.cols)
      cv::line(f, {x, 0}, {x, f.rows}, cv::Scalar(255, 255, 255), line, cv::LINE_AA);
    // Each part keeps its own caption while there is room for it: AFTER grows from the left.
    double fs = std::max(0.5, std::min(b.cols, b.rows) / 600.0);
    int margin = static_cast<int>(fs * 14), y = static_cast<int>(fs * 36), base = 0;
    int thick = std::max(1, static_cast<int>(std::lround(fs * 1.6)));
    cv::Size ta = cv::getTextSize("After", cv::FONT_HERSHEY_DUPLEX, fs, thick, &base);
    cv::Size tb = cv::getTextSize("Before", cv::FONT_HERSHEY_DUPLEX, fs, thick, &base);
    if (x > ta.width + 2 * margin) put_label(f, "After", {margin, y}, fs, true);
    if (b.cols - x > tb.width + 2 * margin)
      put_label(f, "Before", {b.cols - tb.width - margin, y}, fs, true);
    vw.write(f);
  }
  vw.release();
  std::error_code ec;
  if (!std::filesystem::exists(tmp, ec) || std::filesystem::file_size(tmp, ec) == 0) {
    std::filesystem::remove(tmp, ec);
    throw InputError(path, "the video writer produced no output");
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw InputError(path, "cannot write the video here");
  }
}

}  // namespace smp
