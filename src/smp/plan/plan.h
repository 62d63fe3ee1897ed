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
#include "smp/design/head_sphere.h"
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

struct Bounds {
  double low, high;
};

struct ZoneArea {
  Zone zone = Zone::kFull;
  double area_cm2 = 0;
  std::string source;  // "front photo a.jpg", "given (--area-cm2)"
  // Not measured: estimated from the Norwood stage and typical areas, or extrapolated where the
  // photo cuts the zone off. The quote then spans low_cm2..high_cm2 instead of area_cm2.
  bool estimated = false;
  double low_cm2 = 0, high_cm2 = 0;
  double low() const { return estimated ? low_cm2 : area_cm2; }
  double high() const { return estimated ? high_cm2 : area_cm2; }
};

// Plain area of a 0/255 mask at a known scale, no curvature: pixels / (px_per_mm² · 100).
double mask_area_cm2(const cv::Mat& mask8, double px_per_mm);

// The head seen as a sphere (smp/design/head_sphere.h): the scalp's true area is the mask's area
// divided by the cosine between the surface normal and the view direction.
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
  std::map<Zone, double> zones_cm2;  // only the zones this view can show (and the frame holds)
  // Share of each zone's surface (as this view would see it) that lies inside the photo: a head
  // cut off by the frame shows only part of a zone. Below kMinVisibleShare the zone is not
  // measured from this view; between that and kFullyVisibleShare it is extrapolated.
  std::map<Zone, double> visible_share;
  std::map<Zone, double> measured_cm2;  // bald surface seen, before any extrapolation
  std::map<Zone, double> bare_share;    // bald share of the zone's visible surface
  double hair_share_above_brows = -1;   // front / side with a face: hair / (hair + skin), -1 n/a
  int norwood_stage = 0;                // the analysis' stage from this view (0: none)
  cv::Mat zone_labels;                  // CV_8U: 0 none, 1 + Zone
  std::vector<std::string> warnings;
};
inline constexpr double kMinVisibleShare = 0.35;  // a side view sees at most half
inline constexpr double kFullyVisibleShare = 0.9;

// Front: hairline and frontal (the crown is out of sight). Top: frontal, mid, crown (forehead
// towards the bottom of the image unless `top_forehead_up`). Side: mid and crown.
ViewMeasurement measure_view(const Analysis& a, const std::string& source,
                             const ZoneGeometry& g = {}, bool top_forehead_up = false);

// The Norwood stage a plan assumes for the zones no photo shows, as a range (a front photo
// cannot tell 5, 6 and 7 apart). 0..0: unknown.
struct NorwoodRange {
  int low = 0, high = 0;
  std::string reason;  // "given (--norwood)", "top photo t.jpg", "front photo: no hair visible"
  bool known() const { return low > 0; }
};
// From the photos: a top view's stage wins; a front view whose head shows no hair above the
// brows is read as 5-7 (a shaved head looks the same, hence a range); else the front's stage.
NorwoodRange norwood_from_views(const std::vector<ViewMeasurement>& views);

// Typical treated surface of a zone when it is fully bald, on an adult head (cm²); and the
// share of it that is bald at a Norwood stage (low, high). Together: the estimate for a zone the
// photos cannot show.
Bounds typical_zone_area(Zone z);
Bounds norwood_bald_share(int stage, Zone z);
// Zero when the stage leaves that zone with hair; flagged `estimated` with a range otherwise.
std::optional<ZoneArea> estimate_zone(Zone z, const NorwoodRange& n);

// One area per zone, each from the view that shows it best (hairline: front; frontal, mid,
// crown: top, then side / front), never counted twice. `wanted` empty: every measured zone
// larger than 1 cm², plus the zones no photo shows that the Norwood range says are bald
// (estimated, each with a warning asking for a top photo or --area-cm2); a zone asked for in
// `wanted` and not shown is estimated too (its typical area when the stage says it has hair).
// `full` in `wanted` merges hairline..crown into one zone (estimated if any part is).
std::vector<ZoneArea> pick_zones(const std::vector<ViewMeasurement>& views,
                                 const std::vector<Zone>& wanted,
                                 std::vector<std::string>& warnings,
                                 const NorwoodRange& norwood = {});

// Plausible area of a zone (cm²): outside -> a warning in the report.
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
  NorwoodRange norwood;         // what the estimated zones assume (reported)
  std::vector<std::string> warnings;
};

struct Plan {
  std::string client_name;
  std::vector<ZoneArea> zones;
  double total_area_cm2 = 0;
  bool has_estimates = false;  // some zone is estimated: the quote says so
  NorwoodRange norwood;
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
