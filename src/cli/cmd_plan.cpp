// smp plan [PHOTO ...] [--area-cm2 X | zone=X,...] [--zones ...] [--pricebook FILE]
//          [--experience junior|senior|expert] [--start DATE] [--client NAME]
//          [--json FILE] [--html FILE] [--pdf FILE]
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/command.h"
#include "smp/age/age.h"
#include "smp/core/errors.h"
#include "smp/core/files.h"
#include "smp/design/design.h"
#include "smp/image/image_io.h"
#include "smp/plan/plan.h"
#include "smp/plan/report.h"
#include "smp/render/simulate.h"

namespace smp::cli {
namespace {

struct PlanArgs {
  std::vector<std::string> photos, views, zones;
  std::string area, pricebook, experience = "senior", start, client, json, html, pdf, after;
  std::string hairline = "natural", top_forehead = "down", design, sun = "moderate", skin_type;
  double mid_frontal_mm = 0, ipd_mm = 63, px_per_mm = 0, marker_mm = 0;
  int norwood = 0, face = -1;
  bool alopecia = false, very_light_skin = false, no_simulate = false;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

double parse_area(const std::string& text) {
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size() && v > 0 && v <= 2 * kWholeScalpCm2) return v;
  } catch (const std::exception&) {
  }
  throw UsageError("--area-cm2 '" + text + "': not an area in cm² (a number above 0 and at most " +
                   std::to_string(static_cast<int>(2 * kWholeScalpCm2)) + ")");
}

// "40" (with one --zones entry, else the full head) or "hairline=40,crown=55".
std::vector<ZoneArea> given_zones(const PlanArgs& a, const std::vector<Zone>& wanted) {
  std::vector<ZoneArea> out;
  if (a.area.empty()) return out;
  if (a.area.find('=') == std::string::npos) {
    if (wanted.size() > 1)
      throw UsageError("--area-cm2 " + a.area +
                       " with several --zones: give one area per zone, "
                       "e.g. --area-cm2 hairline=40,crown=60");
    out.push_back(
        {wanted.empty() ? Zone::kFull : wanted[0], parse_area(a.area), "given (--area-cm2)"});
    return out;
  }
  for (const auto& item : split(a.area, ',')) {
    auto eq = item.find('=');
    if (eq == std::string::npos)
      throw UsageError("--area-cm2 '" + item + "': expected zone=cm², e.g. hairline=40");
    Zone z = parse_zone(item.substr(0, eq));
    for (const auto& o : out)
      if (o.zone == z)
        throw UsageError("--area-cm2: zone '" + item.substr(0, eq) + "' given twice");
    out.push_back({z, parse_area(item.substr(eq + 1)), "given (--area-cm2)"});
  }
  return out;
}

View parse_view(const std::string& v) {
  if (v == "front") return View::kFront;
  if (v == "top") return View::kTop;
  if (v == "side" || v == "left" || v == "right") return View::kSide;
  throw UsageError("--views '" + v + "': expected front, top or side");
}

Date today() {
  return std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
}

void run(const PlanArgs& a) {
  Timings t;
  Stopwatch total;
  // Options first: a bad book or date fails before any photo is decoded.
  PriceBook book;
  {
    ScopedTiming st(t, "price_book");
    book = load_price_book(a.pricebook);
  }
  Date start = a.start.empty() ? today() : parse_date(a.start, "--start");
  std::vector<Zone> wanted;
  for (const auto& z : a.zones) wanted.push_back(parse_zone(z));
  if (!a.views.empty() && a.views.size() != a.photos.size())
    throw UsageError("--views: give one view per photo (" + std::to_string(a.photos.size()) +
                     " photos, " + std::to_string(a.views.size()) + " views)");
  if (a.photos.empty() && a.area.empty())
    throw UsageError("give client photos or the treated area (--area-cm2)");
  if (a.top_forehead != "up" && a.top_forehead != "down")
    throw UsageError("--top-forehead '" + a.top_forehead + "': expected up or down");
  std::vector<ZoneArea> given = given_zones(a, wanted);
  Design design;
  if (!a.design.empty()) design = read_design(a.design);
  AgeOptions age_opt;
  age_opt.conditions.sun = parse_sun_exposure(a.sun);
  choose_skin_type(a.skin_type, nullptr);  // a bad --skin-type fails before the photos

  AnalyzeOptions aopt;
  aopt.ipd_mm = a.ipd_mm;
  aopt.face_index = a.face;
  if (a.px_per_mm > 0) aopt.px_per_mm = a.px_per_mm;
  if (a.marker_mm > 0) aopt.marker_mm = a.marker_mm;
  aopt.hairline.preset = design.preset.value_or(parse_hairline_preset(a.hairline));
  aopt.hairline.mid_frontal_mm =
      a.mid_frontal_mm > 0 ? a.mid_frontal_mm : design.mid_frontal_mm.value_or(0);

  PlanInput in;
  in.client_name = a.client;
  in.start = start;
  in.experience = a.experience;
  in.factors.alopecia = a.alopecia;
  in.factors.very_light_skin = a.very_light_skin;

  struct Shot {
    Photo photo;
    Analysis analysis;
    ViewMeasurement measured;
  };
  std::vector<Shot> shots;
  for (size_t i = 0; i < a.photos.size(); ++i) {
    Shot s;
    {
      // A side view the user names is analysed as one when no face is found (its face is then
      // not scalp, and a simulation leaves it alone).
      AnalyzeOptions o = aopt;
      if (!a.views.empty() && parse_view(a.views[i]) == View::kSide)
        o.view_without_face = View::kSide;
      AnalyzedPhoto in = read_and_analyze(a.photos[i], o, t);
      s.photo = std::move(in.photo);
      s.analysis = std::move(in.analysis);
    }
    if (!a.views.empty()) s.analysis.view = parse_view(a.views[i]);
    {
      ScopedTiming st(t, "measure");
      // The file name alone: the report goes to the client, the folder layout does not.
      s.measured = measure_view(s.analysis, std::filesystem::path(a.photos[i]).filename().string(),
                                {}, a.top_forehead == "up");
    }
    for (auto& w : s.measured.warnings) in.warnings.push_back(w);
    const Scalp& sc = s.analysis.scalp;
    if (s.analysis.face() && sc.skin_tone.category == "very light")
      in.factors.very_light_skin = true;
    if (sc.hair_shade.found && !in.factors.hair_srgb) in.factors.hair_srgb = sc.hair_shade.srgb;
    shots.push_back(std::move(s));
  }
  // Zones: the given areas win; the photos fill in the rest, each zone from its best view.
  std::vector<ViewMeasurement> views;
  for (const auto& s : shots) views.push_back(s.measured);
  std::vector<Zone> wanted_from_photos;
  for (Zone z : wanted) {
    bool is_given = false;
    for (const auto& g : given) is_given |= g.zone == z;
    if (!is_given) wanted_from_photos.push_back(z);
  }
  in.zones = given;
  // The stage the zones no photo shows are estimated from: the clinician's word wins.
  NorwoodRange norwood = a.norwood > 0 ? NorwoodRange{a.norwood, a.norwood, "given (--norwood)"}
                                       : norwood_from_views(views);
  in.norwood = norwood;
  if (!shots.empty() && (given.empty() || !wanted_from_photos.empty())) {
    for (auto& z : pick_zones(views, wanted_from_photos, in.warnings, norwood)) {
      bool dup = false;
      for (const auto& g : given) dup |= g.zone == z.zone;
      if (!dup) in.zones.push_back(z);
    }
  }
  if (in.zones.empty())
    throw InputError(
        a.photos.empty() ? "" : a.photos.front(),
        "no bald scalp to treat was found in the photos; give the area with --area-cm2");

  // The photo the report shows and the fading is fitted on: the front photo, else the first.
  const Shot* main = nullptr;
  for (const auto& s : shots)
    if (!main || (s.analysis.view == View::kFront && main->analysis.view != View::kFront))
      main = &s;
  // The finished treatment as `smp simulate` and `smp age` render it with the same options: the
  // design's sessions (else 3, the full target density: a plan's session count only splits the
  // same impressions differently) at the price book's density.
  std::optional<SimulateResult> sim;
  if (main) {
    ScopedTiming st(t, "simulate");
    SimulateOptions so;
    so.density_per_cm2 = std::clamp(book.impressions_per_cm2, 40.0, 200.0);
    so.label = false;  // the report labels its crop, so the label is never cut off
    try {
      sim = simulate(main->photo.bgr, main->analysis, design, so);
    } catch (const InputError& e) {
      in.warnings.push_back("no simulated result (the fading model uses a reference scalp): " +
                            e.reason());
    }
  }

  // Touch-up: `smp age`'s forecast for this client: the photo's skin type unless --skin-type,
  // fitted on the simulated photo (the reference scalp when there is none). Beyond its horizon:
  // the clinics' 4-6 years.
  FadingCurve fading = generic_fading_curve(5.0);
  nlohmann::json fading_json;
  {
    ScopedTiming st(t, "fading_model");
    SkinTypeChoice skin = choose_skin_type(a.skin_type, main ? &main->analysis : nullptr);
    age_opt.conditions.skin_type = skin.type;
    age_opt.skin_type_source = skin.source;
    for (const auto& z : in.zones) age_opt.conditions.scar |= z.zone == Zone::kScar;
    age_opt.years = {0};
    check_age_options(age_opt);
    AgeResult age =
        sim ? forecast_fading(main->photo.bgr, *sim, scar_flags(sim->impressions, design), age_opt)
            : age_reference(age_opt);
    fading_json = forecast_json(age, age_opt);
    if (sim) fading_json["photo"] = std::filesystem::path(main->photo.source).filename().string();
    const std::string conditions = describe_conditions(age_opt);
    if (age.touch_up_year) {
      // The model gives a year; a clinic books a season: half a year either side.
      double y = *age.touch_up_year;
      in.touch_up_years = std::make_pair(std::max(0.5, y - 0.5), y + 0.5);
      in.touch_up_source = "fading model, " + conditions;
      fading.points.clear();
      for (const auto& p : age.curve)
        if (p.x <= 10.0 + 1e-9) fading.points.push_back(p);
      fading.threshold = age_opt.threshold;
      char buf[240];
      std::snprintf(buf, sizeof buf,
                    "Fading model of smp age %s; %s. The visible contrast falls below "
                    "%d\u00a0%% after about %.1f\u00a0years",  // no break inside a figure
                    sim ? "fitted to your simulated photo" : "on a reference scalp",
                    conditions.c_str(), static_cast<int>(std::lround(age_opt.threshold * 100)), y);
      fading.source = buf;
    } else {
      in.warnings.push_back("fading model: " + age.message + "; the touch-up date uses 4-6 years");
    }
  }
  Plan plan;
  {
    ScopedTiming st(t, "plan");
    plan = make_plan(in, book);
  }

  // Report pictures: the main photo, cropped to the head.
  ReportImages images;
  if ((!a.html.empty() || !a.pdf.empty()) && main) {
    ScopedTiming st(t, "report_images");
    cv::Rect crop = report_crop(main->analysis);
    images.before = main->photo.bgr(crop).clone();
    images.overlay =
        draw_zone_overlay(main->photo.bgr, main->measured, main->analysis)(crop).clone();
    // The simulated after: an image made earlier by `smp simulate` (--after), else the
    // simulation above (front views with a face: a top view's simulation is not shown).
    if (a.after.empty() && !a.no_simulate && sim && main->analysis.face())
      images.after = sim->image(crop).clone();
    if (!a.after.empty()) {
      auto bytes = read_file_bytes(a.after);
      Photo after = decode_photo(bytes, a.after);
      if (!has_simulation_marker(bytes))
        plan.warnings.push_back(a.after + ": not marked as made by smp simulate");
      images.after =
          after.bgr.size() == main->photo.bgr.size() ? after.bgr(crop).clone() : after.bgr;
    }
  } else if ((!a.html.empty() || !a.pdf.empty()) && !a.after.empty()) {
    images.after = read_photo(a.after).bgr;
  }
  // Every simulated picture handed to a client carries the label, whatever was cropped.
  if (!images.after.empty()) draw_simulation_label(images.after);
  std::string html;
  std::vector<uint8_t> pdf;
  if (!a.html.empty()) {
    ScopedTiming st(t, "html");
    html = render_html(plan, book, images, fading);
  }
  if (!a.pdf.empty()) {
    ScopedTiming st(t, "pdf");
    pdf = render_pdf(plan, book, images, fading);
  }
  for (auto& [k, v] : plan.timings) t[k] = v;
  t["total"] = total.elapsed_ms();
  nlohmann::json j = to_json(plan, book);
  j["photos"] = nlohmann::json::array();
  for (const auto& s : shots) {
    // What each photo could see: how much of each zone its frame holds, and how bald that is.
    nlohmann::json seen = nlohmann::json::object();
    for (const auto& [z, share] : s.measured.visible_share)
      seen[to_string(z)] = {{"in_frame_share", std::round(share * 100) / 100},
                            {"bald_share", std::round(s.measured.bare_share.at(z) * 100) / 100},
                            {"bald_cm2", std::round(s.measured.measured_cm2.at(z) * 10) / 10}};
    nlohmann::json photo = {{"file", s.photo.source},
                            {"view", to_string(s.analysis.view)},
                            {"px_per_mm", s.analysis.px_per_mm},
                            {"scale_source", s.analysis.scale_source},
                            {"norwood_stage", s.measured.norwood_stage},
                            {"zones_seen", seen}};
    if (s.measured.hair_share_above_brows >= 0)
      photo["hair_share_above_brows"] = std::round(s.measured.hair_share_above_brows * 100) / 100;
    j["photos"].push_back(photo);
  }
  j["fading"] = fading_json;
  j["timings_ms"] = t;
  // Every output is computed before the first is written: an error leaves no partial set.
  if (!a.html.empty()) write_file_atomic(a.html, html);
  if (!a.pdf.empty()) write_file_atomic(a.pdf, pdf);
  write_report(a.json, j);
}

Register reg("plan", 40, [](CLI::App& app) {
  auto args = std::make_shared<PlanArgs>();
  CLI::App* sub = app.add_subcommand(
      "plan", "Treated area per zone, sessions, hours, cost range and schedule; HTML/PDF quote");
  sub->add_option("photos", args->photos, "photos of the same client (front, top, side)");
  sub->add_option("--views", args->views, "the view of each photo, in order (front, top, side)")
      ->delimiter(',');
  sub->add_option("--area-cm2", args->area,
                  "treated area instead of photos: 40 (with one --zones) or hairline=40,crown=60");
  sub->add_option("--zones", args->zones, "zones to treat: hairline,frontal,mid,crown,full,scar")
      ->delimiter(',');
  sub->add_option("--pricebook", args->pricebook, "price book JSON (default: built in, USD)");
  sub->add_option("--experience", args->experience, "practitioner level in the price book")
      ->capture_default_str();
  sub->add_option("--start", args->start, "consultation date YYYY-MM-DD (default: today)");
  sub->add_option("--client", args->client, "client name for the quote");
  sub->add_option("--norwood", args->norwood,
                  "Norwood stage 1-7 as the clinician sees it: the zones no photo shows are "
                  "estimated from it (default: read from the photos)")
      ->check(CLI::Range(1, 7));
  sub->add_flag("--alopecia", args->alopecia, "diffuse alopecia: one more session");
  sub->add_flag("--very-light-skin", args->very_light_skin,
                "very light skin: one more, lighter session (also detected from a front photo)");
  sub->add_option("--after", args->after, "simulated result from `smp simulate` for the report");
  sub->add_flag("--no-simulate", args->no_simulate,
                "no simulated after image in the report (the touch-up is still fitted on it)");
  sub->add_option("--face", args->face, "which face to treat in each photo (0 = largest)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--design", args->design,
                  "DESIGN.json (as for smp simulate): hairline, density, shade");
  sub->add_option("--sun", args->sun, "sun exposure for the fading model: low, moderate, high")
      ->capture_default_str();
  sub->add_option(
      "--skin-type", args->skin_type,
      "Fitzpatrick skin type I-VI for the fading model (default: from the photo's skin tone, "
      "as smp age)");
  sub->add_option("--hairline", args->hairline,
                  "hairline preset: natural, mature, youthful, broken")
      ->capture_default_str();
  sub->add_option("--mid-frontal-mm", args->mid_frontal_mm, "hairline height above the glabella")
      ->check(CLI::Range(60.0, 110.0));
  sub->add_option("--top-forehead", args->top_forehead,
                  "where the forehead is in top views: down, up")
      ->capture_default_str();
  sub->add_option("--ipd-mm", args->ipd_mm, "interpupillary distance for scale (mm)")
      ->check(CLI::Range(45.0, 80.0))
      ->capture_default_str();
  sub->add_option("--px-per-mm", args->px_per_mm, "known scale, overrides everything")
      ->check(CLI::PositiveNumber);
  sub->add_option("--marker-mm", args->marker_mm, "diameter of a round calibration sticker")
      ->check(CLI::PositiveNumber);
  sub->add_option("--json", args->json, "write the plan here (default: stdout)");
  sub->add_option("--html", args->html, "consultation report, one self-contained HTML page");
  sub->add_option("--pdf", args->pdf, "consultation report, A4 PDF (2 pages)");
  sub->callback([args] { run(*args); });
});

}  // namespace
}  // namespace smp::cli
