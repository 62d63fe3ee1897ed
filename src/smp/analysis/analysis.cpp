#include "smp/analysis/analysis.h"

#include <array>
#include <cmath>
#include <cstring>
#include <exception>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "smp/core/errors.h"
#include "smp/core/parallel.h"
#include "smp/image/colour.h"

namespace smp {

namespace {

// A chin-down head seen from the front: px per mm up its face, from the glabella to the top of
// its outline, which an adult head model (projected_forehead_mm) puts a known height above the
// glabella at this pitch. 0 when the top is out of the photo.
double forehead_scale(const cv::Mat& head_mask, cv::Point2d glabella, cv::Point2d up,
                      double pitch_deg) {
  if (head_mask.empty()) return 0;
  // The outline at ~300 px across the photo is plenty for a height.
  const double k = std::min(1.0, 300.0 / std::max(head_mask.cols, head_mask.rows));
  const ShrunkOutline so = shrunk_head_outline(head_mask, k, 0, static_cast<int>(std::ceil(2 / k)));
  double px = 0;  // outline px from the glabella to the top of the head
  for (;; px += 1) {
    const cv::Point2d q = glabella + up * (px / k);  // photo px
    if (q.x < 0 || q.y < 0 || q.x >= head_mask.cols || q.y >= head_mask.rows) return 0;
    if (!so.crop.contains(cv::Point(static_cast<int>(q.x), static_cast<int>(q.y)))) break;
    const cv::Point2d o = so.to_outline(q);
    const int x = std::clamp(cvRound(o.x), 0, so.outline.cols - 1);
    const int y = std::clamp(cvRound(o.y), 0, so.outline.rows - 1);
    if (!so.outline.at<uint8_t>(y, x)) break;
  }
  double top_mm = 0;
  for (double s_mm = 0; s_mm <= 260; s_mm += 2)
    top_mm = std::max(top_mm, projected_forehead_mm(s_mm, pitch_deg));
  return px > 10 ? px / k / top_mm : 0;
}

// Mean colour inside a disc of radius 0.6 r and in a ring 1.2-1.5 r around it, both in Lab;
// returns the contrast between them and the inner disc's noise (sum of the channels' std-devs).
struct DiscStats {
  cv::Scalar inner, ring;
  double contrast = 0, flatness = 0;
};
DiscStats disc_stats(const cv::Mat& lab, cv::Point2d c, double r) {
  cv::Mat inner(lab.size(), CV_8U, cv::Scalar(0)), ring(lab.size(), CV_8U, cv::Scalar(0));
  cv::circle(inner, c, std::max(1, int(0.6 * r)), 255, -1);
  cv::circle(ring, c, std::max(2, int(1.5 * r)), 255, -1);
  cv::circle(ring, c, std::max(1, int(1.2 * r)), 0, -1);
  DiscStats d;
  cv::Scalar si, sr;
  cv::meanStdDev(lab, d.inner, si, inner);
  cv::meanStdDev(lab, d.ring, sr, ring);
  d.contrast = cv::norm(d.inner - d.ring);
  d.flatness = si[0] + si[1] + si[2];
  return d;
}

// A round sticker of known diameter. Hough finds candidate circles on a copy of about 1000 px
// (heads and ears are round too, and come first: every candidate is screened, cheaply, on that
// copy for a flat disc that stands out from its surround); the survivors are measured again at
// full resolution from their area (sub-pixel, unlike a radius in the small copy), stretched by
// the ellipse's axis ratio when the sticker is seen at an angle (the long axis keeps the true
// diameter). The flattest, most contrasted one wins.
std::optional<double> find_marker_px_per_mm(const cv::Mat& bgr8, double marker_mm) {
  // Shrink by a whole factor: INTER_AREA's fast box-filter path.
  const int k = std::max(1, int(std::ceil(std::max(bgr8.cols, bgr8.rows) / 1100.0)));
  cv::Mat small_bgr;
  if (k > 1)
    cv::resize(bgr8(cv::Rect(0, 0, bgr8.cols / k * k, bgr8.rows / k * k)), small_bgr,
               cv::Size(bgr8.cols / k, bgr8.rows / k), 0, 0, cv::INTER_AREA);
  else
    small_bgr = bgr8;
  const double scale = 1.0 / k;
  cv::Mat small, small_lab;
  cv::cvtColor(small_bgr, small, cv::COLOR_BGR2GRAY);
  small_lab = bgr_to_lab(small_bgr);  // not cvtColor: its Lab tables cost 0.3 s to build
  cv::GaussianBlur(small, small, cv::Size(5, 5), 1.5);
  std::vector<cv::Vec3f> circles;
  // A low edge threshold: a green sticker on a yellow wall differs little in grey.
  cv::HoughCircles(small, circles, cv::HOUGH_GRADIENT_ALT, 1.5, 10, 80, 0.8, 4,
                   std::max(small.cols, small.rows) / 8);
  const cv::Rect image(0, 0, bgr8.cols, bgr8.rows), small_image(0, 0, small.cols, small.rows);
  double best_score = 0;
  std::optional<double> best;
  for (const cv::Vec3f& circle : circles) {
    const cv::Point2d cs(circle[0], circle[1]);
    const double rs = circle[2];
    {
      cv::Rect roi = cv::Rect(cv::Point(int(cs.x - 1.6 * rs), int(cs.y - 1.6 * rs)),
                              cv::Point(int(cs.x + 1.6 * rs) + 2, int(cs.y + 1.6 * rs) + 2)) &
                     small_image;
      if (roi.width < 6 || roi.height < 6) continue;
      // The small copy is averaged, so a sticker is flatter there still: the same bounds hold.
      DiscStats d = disc_stats(small_lab(roi), cs - cv::Point2d(roi.tl()), rs);
      if (d.contrast < 15 || d.flatness > 12) continue;
    }
    const cv::Point2d c = cs / scale;
    const double r = rs / scale;
    cv::Rect roi = cv::Rect(cv::Point(int(c.x - 1.6 * r), int(c.y - 1.6 * r)),
                            cv::Point(int(c.x + 1.6 * r) + 1, int(c.y + 1.6 * r) + 1)) &
                   image;
    if (roi.width < 8 || roi.height < 8) continue;
    const cv::Mat lab = bgr_to_lab(bgr8(roi));
    const cv::Point2d pc = c - cv::Point2d(roi.tl());
    const DiscStats d = disc_stats(lab, pc, r);
    const double score = d.contrast / (1.0 + d.flatness);
    // A sticker is flat (a few codes of noise); skin, backdrops in shade and heads are not.
    if (d.contrast < 15 || d.flatness > 12 || score <= best_score) continue;
    // The sticker: pixels nearer the inside colour than the surround's, connected to the centre.
    cv::Mat disc(roi.size(), CV_8U, cv::Scalar(0));
    for (int y = 0; y < lab.rows; ++y) {
      const cv::Vec3b* p = lab.ptr<cv::Vec3b>(y);
      uint8_t* o = disc.ptr<uint8_t>(y);
      for (int x = 0; x < lab.cols; ++x) {
        cv::Scalar v(p[x][0], p[x][1], p[x][2]);
        o[x] = cv::norm(v - d.inner) < cv::norm(v - d.ring) ? 255 : 0;
      }
    }
    cv::Mat lbl;
    cv::connectedComponents(disc, lbl, 8, CV_32S);
    const int id = lbl.at<int>(cv::Point(pc));
    if (id == 0) continue;
    cv::Mat blob = lbl == id;
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(blob, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    if (contours.empty() || contours[0].size() < 5) continue;
    // It must be a whole round blob: not running out of the window (a backdrop), filling its
    // ellipse, and about the size Hough saw.
    const cv::Rect bb = cv::boundingRect(contours[0]);
    if (bb.x == 0 || bb.y == 0 || bb.br().x == roi.width || bb.br().y == roi.height) continue;
    const double area = cv::countNonZero(blob);
    const cv::RotatedRect e = cv::fitEllipse(contours[0]);
    const double major = std::max(e.size.width, e.size.height);
    const double minor = std::max(1.0f, std::min(e.size.width, e.size.height));
    if (minor < 0.5 * major || area < 0.85 * M_PI / 4 * major * minor) continue;
    const double diameter_px = 2.0 * std::sqrt(area / M_PI * major / minor);
    if (diameter_px > 2.6 * r || diameter_px < 1.4 * r) continue;  // leaked into the surround
    best_score = score;
    best = diameter_px / marker_mm;
  }
  return best;
}

View view_from_pose(const Pose& p) {
  if (std::abs(p.yaw) > 50) return View::kSide;
  return View::kFront;
}

// A face that dlib finds only with the photo turned: the turn that makes it upright ("a quarter
// turn clockwise", ...), or null. On a copy whose shorter side is about 360 px, not upsampled:
// only a face of a portrait's size (from ~22 % of the shorter side: the detector's 80 px
// window), 10-15 ms a turn.
const char* turned_face(const cv::Mat& bgr8, const DetectOptions& detect) {
  constexpr int kShort = 360;
  // Every m-th pixel of a large photo first, then an area shrink from at most 3x: a 12 MP area
  // shrink costs ~20 ms, this ~3, and the detector sees no difference at a face's scale.
  const int m = std::max(1, std::min(bgr8.cols, bgr8.rows) / (3 * kShort));
  cv::Mat picked = bgr8, small;
  if (m > 1)
    cv::resize(bgr8, picked, cv::Size(bgr8.cols / m, bgr8.rows / m), 0, 0, cv::INTER_NEAREST);
  const double k = std::min(1.0, static_cast<double>(kShort) / std::min(picked.cols, picked.rows));
  if (k < 1)
    cv::resize(
        picked, small,
        cv::Size(std::max(1, cvRound(picked.cols * k)), std::max(1, cvRound(picked.rows * k))), 0,
        0, cv::INTER_AREA);
  else
    small = picked;
  DetectOptions o = detect;
  o.landmarks = false;
  o.detect_max_side = std::max(small.cols, small.rows);
  o.upsample_below = 0;
  const std::pair<cv::RotateFlags, const char*> turns[] = {
      {cv::ROTATE_90_CLOCKWISE, "a quarter turn clockwise"},
      {cv::ROTATE_90_COUNTERCLOCKWISE, "a quarter turn anticlockwise"},
      {cv::ROTATE_180, "half a turn"}};
  // The three turns side by side, one thread each; the one whose best face scores highest wins
  // (a collage of sideways faces can show a false face upside down too).
  o.threads = 1;
  constexpr double kNone = -1e9;
  std::array<double, 3> score;
  score.fill(kNone);
  parallel_for(
      3,
      [&](int b, int e) {
        for (int i = b; i < e; ++i) {
          cv::Mat turned;
          cv::rotate(small, turned, turns[i].first);
          for (const Face& f : detect_face_boxes(turned, o))
            score[i] = std::max(score[i], f.detector_score);
        }
      },
      0, 1);
  const char* best = nullptr;
  double best_score = kNone;
  for (int i = 0; i < 3; ++i)
    if (score[i] > best_score) best_score = score[i], best = turns[i].second;
  return best;
}

}  // namespace

Analysis analyze(const cv::Mat& bgr8, const FaceModel& model, const AnalyzeOptions& opt,
                 const std::string& name) {
  SMP_CHECK_EQ(bgr8.type(), CV_8UC3);
  Analysis a;
  a.size = bgr8.size();
  {
    ScopedTiming t(a.timings, "faces");
    if (opt.face_boxes) {
      a.faces = *opt.face_boxes;
      if (opt.detect.landmarks) {
        ScopedTiming tl(a.timings, "faces.landmarks");
        for (Face& f : a.faces) model.add_landmarks(bgr8, f);
      }
    } else {
      a.faces = model.detect(bgr8, opt.detect, &a.timings);
    }
    if (!a.faces.empty()) {
      if (opt.face_index >= static_cast<int>(a.faces.size()))
        throw UsageError("--face " + std::to_string(opt.face_index) + ": the photo has only " +
                         std::to_string(a.faces.size()) + " face(s)");
      a.face_index = std::max(0, opt.face_index);
      if (!opt.detect.landmarks) {
        // Only the analysed face's landmarks are read (the others are listed by their box).
        ScopedTiming tl(a.timings, "faces.landmarks");
        model.add_landmarks(bgr8, a.faces[a.face_index]);
      }
    } else if (opt.face_index > 0) {
      throw UsageError("--face " + std::to_string(opt.face_index) + ": no face found in the photo");
    }
  }
  // Without a face, a photo turned on its side or upside down is refused: its face would be
  // taken for a top view's scalp.
  if (a.faces.empty() && opt.refuse_turned_photos) {
    ScopedTiming t(a.timings, "turned");
    if (const char* how = turned_face(bgr8, opt.detect)) {
      std::string why = "the photo is turned (its face is upright after ";
      why += how;
      why += "): turn it upright, or set its EXIF orientation";
      throw InputError(name, why);
    }
  }
  const Face* face = a.face();
  {
    ScopedTiming t(a.timings, "pose");
    if (face) {
      a.pose = estimate_pose(*face, a.size);
      a.view = view_from_pose(a.pose);
    } else {
      a.view = opt.view_without_face == View::kSide ? View::kSide : View::kTop;
    }
  }
  {
    ScopedTiming t(a.timings, "parts");
    PartsOptions po = opt.parts;
    Timings steps;
    po.timings = &steps;
    a.parts = segment_parts(bgr8, face, po);
    for (const auto& [k, v] : steps) a.timings["parts." + k] += v;
  }
  // No dlib face: a head tilted chin-down for a hairline photo may still show its eyes.
  std::optional<EyePair> eyes;
  std::string eyes_from;
  cv::Rect head_box;
  if (!face) head_box = smp::head_box(a.parts);
  if (!face && a.view == View::kTop) {
    ScopedTiming t(a.timings, "eyes");
    for (const std::string& path : opt.eye_cascades) {
      if (const EyeDetector* d = shared_eye_detector(path)) eyes = d->find_pair(bgr8, head_box);
      if (eyes) break;
    }
    if (eyes) {
      eyes_from = "cascade";
    } else if (opt.eyes_from_dark_lines) {
      eyes =
          find_eyes_from_dark_lines(bgr8, a.parts == static_cast<uint8_t>(Part::kSkin), head_box);
      if (eyes) eyes_from = "dark_lines";
    }
  }
  {
    ScopedTiming t(a.timings, "scale");
    std::optional<double> marker;
    if (opt.marker_mm) marker = find_marker_px_per_mm(bgr8, *opt.marker_mm);
    if (opt.px_per_mm) {
      a.px_per_mm = *opt.px_per_mm;
      a.scale_source = "user";
    } else if (marker) {
      a.px_per_mm = *marker;
      a.scale_source = "marker";
    } else if (face) {
      // Foreshortening: the pupils' distance shrinks with cos(yaw).
      double cos_yaw = std::max(0.3, std::cos(a.pose.yaw * M_PI / 180.0));
      a.px_per_mm = face->interpupillary_px() / cos_yaw / opt.ipd_mm;
      a.scale_source = "ipd";
    } else if (eyes && eyes_from == "cascade") {
      // A chin-down head: the eyes' distance is foreshortened little by pitch; still the Haar
      // boxes' centres are only near the pupils, so it stays an estimate.
      a.px_per_mm = eyes->distance_px() / opt.ipd_mm;
      a.scale_source = "eyes_estimate";
      a.scale_is_estimate = true;
    } else {
      // Top view without a marker: an adult head is about 150 mm wide; a side view shows its
      // length, about 190 mm with the brow. (Eyes told by dark lines are too rough for a scale: a
      // lens's centre, a crease above the pupil.)
      if (head_box.width < 8) throw InputError(name, "no head found in the photo");
      a.px_per_mm = head_box.width / (a.view == View::kSide ? 190.0 : 150.0);
      a.scale_source = "head_width_estimate";
      a.scale_is_estimate = true;
    }
  }
  // With a face, the hairline proposal reads only the head's outline, and the scalp's head mask
  // is the parts map's head to the pixel (analyze_scalp's box holds every head label): it runs
  // beside the scalp analysis, on the parts map.
  std::optional<Hairline> face_hairline;
  std::exception_ptr face_hairline_error;  // thrown where the hairline step comes
  double face_hairline_ms = 0;
  {
    std::jthread hairline_job;
    if (face)
      hairline_job = std::jthread([&] {
        try {
          Stopwatch sw;
          const cv::Mat head = a.parts != static_cast<uint8_t>(Part::kBackground);
          face_hairline =
              propose_hairline(smp::face_frame(*face), a.px_per_mm, a.pose, head, opt.hairline);
          face_hairline_ms = sw.elapsed_ms();
        } catch (...) {
          face_hairline_error = std::current_exception();
        }
      });
    ScopedTiming t(a.timings, "scalp");
    a.scalp = analyze_scalp({bgr8, a.parts, face, a.px_per_mm, a.view});
    if (!face) {
      // Without a face, a head shows scalp skin, or hair of a colour hair can have (black, brown,
      // blond, red, grey: never blue or green, which is sky, water or grass).
      // Counted on the head's box: there is no skin or head outside it.
      const double area = a.size.area();
      const cv::Rect box = head_box;  // of the parts map, found above
      bool skin =
          box.area() > 0 &&
          cv::countNonZero(a.parts(box) == static_cast<uint8_t>(Part::kSkin)) >= 0.01 * area;
      bool hair = false;
      if (a.scalp.hair_shade.found) {
        const cv::Vec3b& rgb = a.scalp.hair_shade.srgb;
        Lab lab = srgb8_to_lab(cv::Vec3b(rgb[2], rgb[1], rgb[0]));
        hair = lab.b >= -6 && lab.a >= -8;
      }
      if (box.area() == 0 || cv::countNonZero(a.scalp.head_mask(box)) < 0.01 * area ||
          (!skin && !hair))
        throw InputError(name, "no head found in the photo");
    }
    if (eyes) {
      TiltedFace tf;
      tf.eyes = *eyes;
      tf.eyes_from = eyes_from;
      const cv::Point2d ex = (eyes->right - eyes->left) / std::max(1e-9, eyes->distance_px());
      const cv::Point2d eye_mid = 0.5 * (eyes->left + eyes->right);
      tf.up = cv::Point2d(ex.y, -ex.x);
      // An adult's outer eye corners sit ~0.21 of the pupils' distance beyond them, the glabella
      // ~0.2 of it above their line.
      const double d = eyes->distance_px();
      tf.frame.outer_eye_left = eyes->left - ex * (0.21 * d);
      tf.frame.outer_eye_right = eyes->right + ex * (0.21 * d);
      tf.frame.glabella = eye_mid + tf.up * (0.2 * d);
      tf.pose.pitch = opt.tilted_pitch_deg;
      tf.pose.roll = std::atan2(ex.y, ex.x) * 180 / M_PI;
      tf.forehead_px_per_mm =
          forehead_scale(a.scalp.head_mask, tf.frame.glabella, tf.up, tf.pose.pitch);
      // Forehead, eyes and nose are not scalp: the bald scalp starts at a natural hairline (as a
      // front view's), and never lower than some 30 mm above the eyes (the brows are ~20 mm
      // above them, a hairline 50-80 mm).
      double cut_px = opt.above_eyes_mm * a.px_per_mm;
      if (tf.forehead_px_per_mm > 0) {
        const double natural =
            projected_forehead_mm(ScalpOptions{}.natural_hairline_mm, tf.pose.pitch) *
            tf.forehead_px_per_mm;
        cut_px = std::max(cut_px, (tf.frame.glabella - eye_mid).dot(tf.up) + natural);
      }
      tf.cut_mm = cut_px / a.px_per_mm;
      const cv::Point2d mid = eye_mid + tf.up * cut_px;
      const double reach = 2.0 * std::max(a.size.width, a.size.height);
      tf.cut_a = mid - ex * reach;
      tf.cut_b = mid + ex * reach;
      Scalp& s = a.scalp;
      if (!s.bald_mask.empty()) {
        const double before = cv::countNonZero(s.bald_mask);
        // Everything on the face's side of the line: a polygon reaching past the photo.
        std::vector<cv::Point> face_side{tf.cut_a, tf.cut_b, tf.cut_b - tf.up * reach,
                                         tf.cut_a - tf.up * reach};
        cv::fillConvexPoly(s.bald_mask, face_side, cv::Scalar(0));
        if (before > 0) s.bald_area_cm2 *= cv::countNonZero(s.bald_mask) / before;
      }
      a.tilted_face = tf;
    }
  }
  if (face_hairline_error) std::rethrow_exception(face_hairline_error);
  if (face_hairline) {
    a.hairline = *face_hairline;
    a.timings["hairline"] += face_hairline_ms;  // beside the scalp analysis
  } else if (const auto frame = a.face_frame()) {
    ScopedTiming t(a.timings, "hairline");
    a.hairline = propose_hairline(*frame, a.design_px_per_mm(), a.design_pose(), a.scalp.head_mask,
                                  opt.hairline);
  }
  return a;
}

double Analysis::design_px_per_mm() const {
  return !face() && tilted_face && tilted_face->forehead_px_per_mm > 0
             ? tilted_face->forehead_px_per_mm
             : px_per_mm;
}

std::optional<FaceFrame> Analysis::face_frame() const {
  if (const Face* f = face()) return smp::face_frame(*f);
  if (tilted_face) return tilted_face->frame;
  return std::nullopt;
}

Pose Analysis::design_pose() const {
  return face() || !tilted_face ? pose : tilted_face->pose;
}

nlohmann::json to_json(const Analysis& a) {
  using nlohmann::json;
  json j;
  j["image"] = {{"width", a.size.width}, {"height", a.size.height}};
  j["view"] = to_string(a.view);
  json faces = json::array();
  for (const auto& f : a.faces)
    faces.push_back(
        {{"box", {f.box.x, f.box.y, f.box.width, f.box.height}}, {"score", f.detector_score}});
  j["faces"] = faces;
  j["face_index"] = a.face_index >= 0 ? json(a.face_index) : json(nullptr);
  json lm = json::array();
  if (const Face* f = a.face())
    for (const auto& p : f->landmarks)
      lm.push_back({std::round(p.x * 10) / 10, std::round(p.y * 10) / 10});
  j["landmarks"] = lm;
  j["px_per_mm"] = a.px_per_mm;
  j["scale_source"] = a.scale_source;
  j["scale_is_estimate"] = a.scale_is_estimate;
  j["pose"] = {{"yaw", a.pose.yaw}, {"pitch", a.pose.pitch}, {"roll", a.pose.roll}};
  const Scalp& s = a.scalp;
  json shade = nullptr;
  if (s.hair_shade.found)
    shade = {{"srgb", {s.hair_shade.srgb[0], s.hair_shade.srgb[1], s.hair_shade.srgb[2]}},
             {"L", s.hair_shade.L}};
  j["scalp"] = {{"bald_area_cm2", s.bald_area_cm2},
                {"hair_shade", shade},
                {"skin_tone",
                 {{"L", s.skin_tone.lab.L},
                  {"a", s.skin_tone.lab.a},
                  {"b", s.skin_tone.lab.b},
                  {"ita", s.skin_tone.ita},
                  {"category", s.skin_tone.category}}}};
  j["norwood"] = {{"stage", s.norwood.stage}, {"confidence", s.norwood.confidence}};
  json hl = nullptr;
  if (a.hairline) {
    hl = json::array();
    for (const auto& p : a.hairline->points)
      hl.push_back({std::round(p.x * 10) / 10, std::round(p.y * 10) / 10});
  }
  j["hairline"] = hl;
  // A top view that showed the eyes of a chin-down face; the scalp stops at the cut line.
  json tilted = nullptr;
  if (const auto& tf = a.tilted_face) {
    auto pt = [](cv::Point2d p) {
      return json{std::round(p.x * 10) / 10, std::round(p.y * 10) / 10};
    };
    tilted = {{"eyes_from", tf->eyes_from},
              {"left_eye", pt(tf->eyes.left)},
              {"right_eye", pt(tf->eyes.right)},
              {"eye_distance_px", std::round(tf->eyes.distance_px() * 10) / 10},
              {"cut_above_eyes_mm", tf->cut_mm}};
  }
  j["tilted_face"] = tilted;
  j["timings_ms"] = a.timings;
  return j;
}

cv::Mat draw_overlay(const cv::Mat& bgr8, const Analysis& a) {
  cv::Mat out = bgr8.clone();
  int thick = std::max(1, static_cast<int>(std::lround(std::max(out.cols, out.rows) / 700.0)));
  // Scalp region: tinted.
  // Only inside the scalp's bounding box: blending the whole 12 MP photo cost ~100 ms.
  if (!a.scalp.bald_mask.empty()) {
    cv::Rect r = cv::boundingRect(a.scalp.bald_mask);
    if (r.area() > 0) {
      cv::Mat roi = out(r), blended;
      cv::addWeighted(roi, 0.6, cv::Mat(r.size(), CV_8UC3, cv::Scalar(255, 160, 0)), 0.4, 0,
                      blended);
      blended.copyTo(roi, a.scalp.bald_mask(r));
    }
  }
  // Parts boundaries, traced on the head's box with a pixel of background around it (so the
  // contours are those of the whole map): a 12 MP photo is mostly not head.
  const cv::Rect full(0, 0, a.parts.cols, a.parts.rows);
  cv::Rect box = smp::head_box(a.parts);
  box = cv::Rect(box.x - 1, box.y - 1, box.width + 2, box.height + 2) & full;
  if (box.area() == 0) box = full;
  for (uint8_t part : {static_cast<uint8_t>(Part::kHair), static_cast<uint8_t>(Part::kSkin)}) {
    cv::Mat m = a.parts(box) == part;
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(m, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE, box.tl());
    cv::Scalar col = part == static_cast<uint8_t>(Part::kHair) ? cv::Scalar(40, 40, 230)
                                                               : cv::Scalar(60, 200, 60);
    cv::drawContours(out, contours, -1, col, thick, cv::LINE_AA);
  }
  if (const Face* f = a.face()) {
    cv::rectangle(out, f->box, cv::Scalar(200, 200, 200), thick, cv::LINE_AA);
    for (const auto& p : f->landmarks)
      cv::circle(out, p, thick + 1, cv::Scalar(0, 255, 255), -1, cv::LINE_AA);
  }
  if (const auto& tf = a.tilted_face) {
    for (cv::Point2d e : {tf->eyes.left, tf->eyes.right})
      cv::circle(out, e, std::max(3, int(tf->eyes.size_px / 2)), cv::Scalar(0, 255, 255), thick,
                 cv::LINE_AA);
    cv::line(out, tf->cut_a, tf->cut_b, cv::Scalar(255, 0, 255), thick + 1, cv::LINE_AA);
  }
  if (a.hairline) {
    std::vector<cv::Point> pts;
    for (const auto& p : a.hairline->points) pts.push_back(p);
    cv::polylines(out, pts, false, cv::Scalar(255, 0, 255), thick + 1, cv::LINE_AA);
  }
  return out;
}

}  // namespace smp
