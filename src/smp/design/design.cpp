#include "smp/design/design.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "smp/core/errors.h"
#include "smp/core/files.h"

namespace smp {

namespace {

using nlohmann::json;

struct Reader {
  const std::string& source;

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw InputError(source, "field '" + field + "': " + what);
  }

  double number(const json& j, const std::string& field, double lo, double hi) const {
    if (!j.is_number()) fail(field, "expected a number, got " + std::string(j.type_name()));
    double v = j.get<double>();
    if (!std::isfinite(v) || v < lo || v > hi) {
      std::ostringstream os;
      os << v << " is outside " << lo << "-" << hi;
      fail(field, os.str());
    }
    return v;
  }

  cv::Point2d point(const json& j, const std::string& field) const {
    if (!j.is_array() || j.size() != 2 || !j[0].is_number() || !j[1].is_number())
      fail(field, "expected a point [x, y] of two numbers");
    cv::Point2d p(j[0].get<double>(), j[1].get<double>());
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || std::abs(p.x) > 1e6 || std::abs(p.y) > 1e6)
      fail(field, "coordinates must be finite photo pixels");
    return p;
  }

  std::vector<cv::Point2d> points(const json& j, const std::string& field, size_t min_n) const {
    if (!j.is_array()) fail(field, "expected a list of points [[x, y], ...]");
    if (j.size() < min_n) fail(field, "needs at least " + std::to_string(min_n) + " points");
    std::vector<cv::Point2d> out;
    for (size_t i = 0; i < j.size(); ++i)
      out.push_back(point(j[i], field + "[" + std::to_string(i) + "]"));
    return out;
  }

  void only_keys(const json& j, const std::string& field,
                 std::initializer_list<const char*> keys) const {
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool known = false;
      for (const char* k : keys) known |= it.key() == k;
      if (!known) {
        std::string list;
        for (const char* k : keys) list += (list.empty() ? "" : ", ") + std::string(k);
        fail(field.empty() ? it.key() : field + "." + it.key(),
             "unknown field (known: " + list + ")");
      }
    }
  }
};

}  // namespace

const char* to_string(ZoneKind k) {
  switch (k) {
    case ZoneKind::kTreat:
      return "treat";
    case ZoneKind::kScar:
      return "scar";
    case ZoneKind::kThinning:
      return "thinning";
    case ZoneKind::kExclude:
      return "exclude";
  }
  return "treat";
}

Design parse_design(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(source, std::string("not valid JSON (") + e.what() + ")");
  }
  Reader r{source};
  if (!j.is_object()) throw InputError(source, "a design must be a JSON object { ... }");
  r.only_keys(
      j, "",
      {"hairline", "density_per_cm2", "shade_L", "sessions", "whorl", "zones", "name", "notes"});
  Design d;
  if (j.contains("hairline")) {
    const json& h = j["hairline"];
    if (!h.is_object()) r.fail("hairline", "expected an object {\"preset\": ..., \"points\": ...}");
    r.only_keys(h, "hairline", {"preset", "mid_frontal_mm", "transition_mm", "points"});
    if (h.contains("preset")) {
      if (!h["preset"].is_string()) r.fail("hairline.preset", "expected a string");
      try {
        d.preset = parse_hairline_preset(h["preset"].get<std::string>());
      } catch (const UsageError& e) {
        r.fail("hairline.preset", e.what());
      }
    }
    if (h.contains("mid_frontal_mm"))
      d.mid_frontal_mm = r.number(h["mid_frontal_mm"], "hairline.mid_frontal_mm", 60, 110);
    if (h.contains("transition_mm"))
      d.transition_mm = r.number(h["transition_mm"], "hairline.transition_mm", 3, 20);
    if (h.contains("points")) d.hairline = r.points(h["points"], "hairline.points", 3);
  }
  if (j.contains("density_per_cm2"))
    d.density_per_cm2 = r.number(j["density_per_cm2"], "density_per_cm2", 40, 200);
  if (j.contains("shade_L")) {
    const json& s = j["shade_L"];
    if (s.is_string()) {
      if (s.get<std::string>() != "auto") r.fail("shade_L", "expected a number (L*) or \"auto\"");
    } else {
      d.shade_L = r.number(s, "shade_L", 5, 80);
    }
  }
  if (j.contains("sessions")) {
    if (!j["sessions"].is_number_integer()) r.fail("sessions", "expected a whole number 1-4");
    d.sessions = static_cast<int>(r.number(j["sessions"], "sessions", 1, 4));
  }
  if (j.contains("whorl")) d.whorl = r.point(j["whorl"], "whorl");
  if (j.contains("zones")) {
    const json& zs = j["zones"];
    if (!zs.is_array()) r.fail("zones", "expected a list of zones");
    for (size_t i = 0; i < zs.size(); ++i) {
      std::string f = "zones[" + std::to_string(i) + "]";
      const json& z = zs[i];
      if (!z.is_object()) r.fail(f, "expected an object {\"kind\": ..., \"polygon\": ...}");
      r.only_keys(z, f, {"kind", "polygon", "density_per_cm2", "name"});
      DesignZone zone;
      if (!z.contains("kind") || !z["kind"].is_string())
        r.fail(f + ".kind", "missing; one of scar, thinning, treat, exclude");
      std::string k = z["kind"].get<std::string>();
      if (k == "scar")
        zone.kind = ZoneKind::kScar;
      else if (k == "thinning")
        zone.kind = ZoneKind::kThinning;
      else if (k == "treat")
        zone.kind = ZoneKind::kTreat;
      else if (k == "exclude")
        zone.kind = ZoneKind::kExclude;
      else
        r.fail(f + ".kind", "'" + k + "' is not one of scar, thinning, treat, exclude");
      if (!z.contains("polygon")) r.fail(f + ".polygon", "missing");
      zone.polygon = r.points(z["polygon"], f + ".polygon", 3);
      if (z.contains("density_per_cm2")) {
        if (zone.kind == ZoneKind::kExclude)
          r.fail(f + ".density_per_cm2", "an exclude zone gets no pigment");
        zone.density_per_cm2 = r.number(z["density_per_cm2"], f + ".density_per_cm2", 40, 200);
      }
      d.zones.push_back(std::move(zone));
    }
  }
  return d;
}

Design read_design(const std::string& path) {
  std::vector<uint8_t> bytes = read_file_bytes(path);
  return parse_design(std::string(bytes.begin(), bytes.end()), path);
}

Hairline hairline_from_points(const std::vector<cv::Point2d>& points, double transition_mm) {
  Hairline h;
  h.points = points;
  h.transition_mm = transition_mm;
  return h;
}

}  // namespace smp
