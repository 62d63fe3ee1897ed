// `smp plan`: from the treated area to sessions, hours, cost range and schedule.
// Areas are per zone in cm² (measured from photos, each zone from the view that shows it best,
// or given). Dates are calendar days (std::chrono::sys_days); money is always a range.
#pragma once
#include <chrono>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "smp/analysis/analysis.h"
#include "smp/core/timings.h"
#include "smp/plan/price_book.h"

namespace smp {

using Date = std::chrono::sys_days;

// "2026-11-24" -> Date. Throws UsageError naming `field` ("--start") when it is not a real
// calendar date in that form.
Date parse_date(const std::string& text, const std::string& field);
std::string iso_date(Date d);                                        // "2026-11-24"
std::string format_date(Date d, const QuoteLocale& locale);          // "November 24, 2026"
std::string format_short_date(Date d, const QuoteLocale& locale);    // "Nov 24"
std::string format_money(double amount, const QuoteLocale& locale);  // "$1,250"
Date add_years(Date d, double years);

// ---- Zones -------------------------------------------------------------------------------------

enum class Zone { kHairline, kFrontal, kMid, kCrown, kFull, kScar };
const char* to_string(Zone z);
Zone parse_zone(const std::string& name);  // throws UsageError
const char* zone_title(Zone z);            // "Hairline", "Crown (vertex)" ...

struct ZoneArea {
  Zone zone = Zone::kFull;
  double area_cm2 = 0;
  std::string source;  // "front photo a.jpg", "given (--area-cm2)"
};

// Plain area of a 0/255 mask at a known scale, no curvature: pixels / (px_per_mm² · 100).
double mask_area_cm2(const cv::Mat& mask8, double px_per_mm);

// The head seen as a sphere: its outline circle in the image. The scalp's true area is the
// mask's area divided by the cosine between the surface normal and the view direction.
struct HeadSphere {
  cv::Point2d centre;
  double radius_px = 0;
};
// y_limit: lowest row of the cranium to consider (the brows), -1 none; x_hint: a column through
// the head (the glabella), -1 none.
HeadSphere fit_head_sphere(const cv::Mat& head_mask8, View view, int y_limit = -1, int x_hint = -1);
// Surface area (cm²) of the part of the sphere seen through `mask8`. Near the outline the
// correction is capped (at most 1/kMinCosine) because grazing pixels carry little information.
inline constexpr double kMinCosine = 0.3;
double surface_area_cm2(const cv::Mat& mask8, double px_per_mm, const HeadSphere& sphere);

// Sagittal zone boundaries, as arc length (mm) behind the new hairline along the top of the head.
struct ZoneGeometry {
  double hairline_depth_mm = 30;  // the hairline band
  double frontal_end_mm = 90;
  double mid_end_mm = 150;  // beyond: crown
};

// What one photo can tell: the zones its view shows, in cm², and a label image for the report.
struct ViewMeasurement {
  std::string source;  // file name
  View view = View::kFront;
  double px_per_mm = 0;
  bool scale_is_estimate = false;
  std::map<Zone, double> zones_cm2;  // only the zones this view can show
  cv::Mat zone_labels;               // CV_8U: 0 none, 1 + Zone
  std::vector<std::string> warnings;
};

// Front: hairline and frontal (the crown is out of sight). Top: frontal, mid, crown (forehead
// towards the bottom of the image unless `top_forehead_up`). Side: mid and crown.
ViewMeasurement measure_view(const Analysis& a, const std::string& source,
                             const ZoneGeometry& g = {}, bool top_forehead_up = false);

// One area per zone, each from the view that shows it best (hairline: front; frontal, mid,
// crown: top, then side / front), never counted twice. `wanted` empty: every measured zone
// larger than 1 cm². `full` in `wanted` merges hairline..crown into one zone.
std::vector<ZoneArea> pick_zones(const std::vector<ViewMeasurement>& views,
                                 const std::vector<Zone>& wanted,
                                 std::vector<std::string>& warnings);

// Plausible area of a zone (cm²): outside -> a warning in the report.
struct Bounds {
  double low, high;
};
Bounds plausible_area(Zone z);
inline constexpr double kWholeScalpCm2 = 775;

// ---- Sessions ----------------------------------------------------------------------------------

struct ClientFactors {
  bool scar = false;                   // scar camouflage (also implied by a scar zone)
  bool alopecia = false;               // diffuse alopecia / thinning
  bool very_light_skin = false;        // ITA° > 55: pigment builds up slowly, more light layers
  std::optional<cv::Vec3b> hair_srgb;  // R, G, B of the client's hair, for the shade
};

struct Session {
  int number = 1;
  Date date{};
  double hours = 0;
  double impressions = 0;
  double density_per_cm2 = 0;     // placed in this session
  double cumulative_density = 0;  // after this session
  std::string shade;              // in the practitioner's words
  std::string shade_hex;          // "#3b3b3b", a guide for the pigment dilution
};

struct SessionPlan {
  std::vector<Session> sessions;  // dates filled by make_plan
  double area_cm2 = 0, total_impressions = 0, total_hours = 0;
  std::vector<std::string> reasons;  // why this many sessions
};

// 2 sessions for a small area (< 50 cm²), 3 typically, +1 for scars, alopecia or very light skin;
// then more if a session would exceed the book's max hours. Session 1 lays the most impressions
// in the lightest shade; later ones build density and depth.
SessionPlan plan_sessions(double area_cm2, const ClientFactors& f, const PriceBook& book);
inline constexpr double kSmallAreaCm2 = 50;
inline constexpr double kSessionSetupHours = 0.5;  // preparation, outline, breaks

// ---- Cost --------------------------------------------------------------------------------------

struct QuoteLine {
  std::string what;
  PriceRange price;
};

struct Quote {
  std::string currency, experience;
  double multiplier = 1;
  std::vector<QuoteLine> lines;  // before the experience multiplier
  PriceRange subtotal, tax, total, deposit, touch_up;
  double tax_rate = 0;
  Date issued{}, valid_until{};
};

// Throws UsageError for an experience level the book does not know.
Quote make_quote(const std::vector<ZoneArea>& zones, int sessions, const PriceBook& book,
                 const std::string& experience, Date issued);

// ---- Schedule and the whole plan ---------------------------------------------------------------

struct ScheduleEvent {
  std::string kind;  // consultation, patch_test, session, touch_up
  Date date{};
  std::optional<Date> until;  // touch-up window end
  std::string what;
  int session = 0;
};

struct AftercareItem {
  int session = 0;
  std::string text;
  Date from{}, to{};
  int from_day = 0, to_day = 0;
};

struct PlanInput {
  std::vector<ZoneArea> zones;
  ClientFactors factors;
  std::string client_name;
  Date start{};  // consultation day
  std::string experience = "senior";
  // From `smp age`'s fading model when available: years after the last session when a touch-up
  // is due (a window). Empty: the clinic's rule of thumb, 4-6 years.
  std::optional<std::pair<double, double>> touch_up_years;
  std::string touch_up_source;  // "fading model" ...
  std::vector<std::string> warnings;
};

struct Plan {
  std::string client_name;
  std::vector<ZoneArea> zones;
  double total_area_cm2 = 0;
  SessionPlan sessions;
  Quote quote;
  std::vector<ScheduleEvent> schedule;
  std::vector<AftercareItem> aftercare;
  Date touch_up_from{}, touch_up_to{};
  std::string touch_up_source;
  std::vector<std::string> warnings;
  Timings timings;
};

Plan make_plan(const PlanInput& in, const PriceBook& book);

nlohmann::json to_json(const Plan& p, const PriceBook& book);

}  // namespace smp
