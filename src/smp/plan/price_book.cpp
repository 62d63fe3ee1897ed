#include "smp/plan/price_book.h"

#include <nlohmann/json.hpp>
#include <set>

#include "smp/core/errors.h"
#include "smp/core/files.h"

namespace smp {

namespace {

// The default book: US prices in the range clinics quote (a small hairline about $800, a full
// head about $4,000), a 3,000 impressions/hour practitioner, sessions two weeks apart.
const char* const kDefaultBook = R"json({
  "schema": "smp-pricebook/1",
  "clinic": {
    "name": "SMP Studio Clinic",
    "address": "",
    "phone": "",
    "email": ""
  },
  "currency": "USD",
  "locale": {
    "currency_symbol": "$",
    "symbol_after": false,
    "thousands_sep": ",",
    "decimal_sep": ".",
    "date_format": "%B %-d, %Y",
    "short_date_format": "%b %-d"
  },
  "pricing": {
    "base_fee": {"low": 250, "high": 400},
    "per_cm2": {"low": 11, "high": 14},
    "zones": {
      "scar": {"per_cm2": {"low": 15, "high": 25}}
    },
    "session_floor": 250,
    "experience": {"junior": 0.8, "senior": 1.0, "expert": 1.3},
    "touch_up": {"low": 300, "high": 600},
    "round_to": 10
  },
  "quote": {
    "tax_rate": 0.0,
    "deposit_percent": 20,
    "valid_days": 30
  },
  "treatment": {
    "impressions_per_cm2": 100,
    "placement_rate_per_hour": 3000,
    "session_interval_days": 14,
    "patch_test_days_before": 7,
    "max_session_hours": 6
  },
  "aftercare": [
    {"text": "Keep the scalp dry: no washing, no sweating, no heavy exercise", "from_day": 0, "to_day": 4},
    {"text": "Gentle washing only, with a mild shampoo; pat dry, no scrubbing", "from_day": 5, "to_day": 14},
    {"text": "No swimming, sauna or steam room", "from_day": 0, "to_day": 28},
    {"text": "No direct sun on the scalp (wear a loose hat), then SPF 30+", "from_day": 0, "to_day": 28},
    {"text": "Expect some shedding and light flaking: do not pick or scratch", "from_day": 3, "to_day": 10}
  ]
})json";

using nlohmann::json;

// Reads fields of one JSON object, remembering which were seen so unknown ones can be refused.
class Fields {
 public:
  Fields(const json& j, std::string path, const std::string& source)
      : j_(j), path_(std::move(path)), source_(source) {
    if (!j_.is_object()) fail(path_.empty() ? "(top level)" : path_, "must be an object");
  }
  [[noreturn]] void fail(const std::string& field, const std::string& reason) const {
    throw InputError(source_, "field '" + field + "': " + reason);
  }
  std::string name(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const json* get(const std::string& key) {
    seen_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  const json& need(const std::string& key) {
    const json* v = get(key);
    if (!v) fail(name(key), "missing");
    return *v;
  }
  void number(const std::string& key, double& out, double lo, double hi) {
    if (const json* v = get(key)) out = checked_number(*v, name(key), lo, hi);
  }
  void integer(const std::string& key, int& out, int lo, int hi) {
    if (const json* v = get(key)) {
      if (!v->is_number_integer()) fail(name(key), "must be a whole number");
      long long x = v->get<long long>();
      if (x < lo || x > hi)
        fail(name(key), "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
      out = static_cast<int>(x);
    }
  }
  void text(const std::string& key, std::string& out) {
    if (const json* v = get(key)) {
      if (!v->is_string()) fail(name(key), "must be a string");
      out = v->get<std::string>();
    }
  }
  void boolean(const std::string& key, bool& out) {
    if (const json* v = get(key)) {
      if (!v->is_boolean()) fail(name(key), "must be true or false");
      out = v->get<bool>();
    }
  }
  double checked_number(const json& v, const std::string& field, double lo, double hi) const {
    if (!v.is_number()) fail(field, "must be a number");
    double x = v.get<double>();
    if (!(x >= lo && x <= hi))
      fail(field, "must be between " + fmt(lo) + " and " + fmt(hi) + " (got " + fmt(x) + ")");
    return x;
  }
  PriceRange range(const json& v, const std::string& field) const {
    Fields f(v, field, source_);
    PriceRange r;
    r.low = f.checked_number(f.need("low"), field + ".low", 0, 1e9);
    r.high = f.checked_number(f.need("high"), field + ".high", 0, 1e9);
    if (r.high < r.low) fail(field, "high (" + fmt(r.high) + ") is below low (" + fmt(r.low) + ")");
    f.done();
    return r;
  }
  // Refuses keys nobody asked for: a misspelt "per_cm" must not quietly become the default.
  void done() const {
    for (auto it = j_.begin(); it != j_.end(); ++it)
      if (!seen_.count(it.key()) && it.key() != "schema" && it.key().rfind("_", 0) != 0)
        fail(name(it.key()), "unknown field");
  }
  const std::string& source() const { return source_; }

  static std::string fmt(double x) {
    std::string s = std::to_string(x);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }

 private:
  const json& j_;
  std::string path_;
  const std::string& source_;
  std::set<std::string> seen_;
};

const std::set<std::string> kZoneNames = {"hairline", "frontal", "mid", "crown", "full", "scar"};

std::string symbol_for(const std::string& currency) {
  if (currency == "USD" || currency == "CAD" || currency == "AUD") return "$";
  if (currency == "EUR") return "€";
  if (currency == "GBP") return "£";
  return currency + " ";
}

}  // namespace

const std::string& default_price_book_json() {
  static const std::string s = kDefaultBook;
  return s;
}

PriceBook default_price_book() {
  return parse_price_book(default_price_book_json(), "default");
}

PriceBook parse_price_book(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(source, std::string("not valid JSON (") + e.what() + ")");
  }
  PriceBook b;
  b.source = source;
  Fields top(j, "", source);
  if (const json* s = top.get("schema")) {
    if (!s->is_string() || s->get<std::string>().rfind("smp-pricebook/1", 0) != 0)
      top.fail("schema", "must be \"smp-pricebook/1\"");
  }
  if (const json* c = top.get("clinic")) {
    Fields f(*c, "clinic", source);
    f.text("name", b.clinic_name);
    f.text("address", b.clinic_address);
    f.text("phone", b.clinic_phone);
    f.text("email", b.clinic_email);
    f.done();
  }
  {
    const json& c = top.need("currency");
    if (!c.is_string() || c.get<std::string>().size() != 3)
      top.fail("currency", "must be a 3-letter ISO 4217 code such as \"USD\"");
    b.currency = c.get<std::string>();
    for (char& ch : b.currency)
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  b.locale.currency_symbol = symbol_for(b.currency);
  if (const json* l = top.get("locale")) {
    Fields f(*l, "locale", source);
    f.text("currency_symbol", b.locale.currency_symbol);
    f.boolean("symbol_after", b.locale.symbol_after);
    f.text("thousands_sep", b.locale.thousands_sep);
    f.text("decimal_sep", b.locale.decimal_sep);
    f.text("date_format", b.locale.date_format);
    f.text("short_date_format", b.locale.short_date_format);
    if (b.locale.date_format.find('%') == std::string::npos)
      f.fail("locale.date_format", "must be a strftime pattern such as \"%d/%m/%Y\"");
    if (b.locale.short_date_format.find('%') == std::string::npos)
      f.fail("locale.short_date_format", "must be a strftime pattern such as \"%d/%m\"");
    f.done();
  }
  {
    Fields f(top.need("pricing"), "pricing", source);
    if (const json* v = f.get("base_fee")) b.base_fee = f.range(*v, "pricing.base_fee");
    b.per_cm2 = f.range(f.need("per_cm2"), "pricing.per_cm2");
    if (const json* z = f.get("zones")) {
      Fields zf(*z, "pricing.zones", source);
      for (auto it = z->begin(); it != z->end(); ++it) {
        std::string zn = "pricing.zones." + it.key();
        if (!kZoneNames.count(it.key()))
          zf.fail(zn, "unknown zone (hairline, frontal, mid, crown, full, scar)");
        zf.get(it.key());
        Fields one(it.value(), zn, source);
        ZonePrice zp;
        if (const json* v = one.get("per_cm2")) zp.per_cm2 = one.range(*v, zn + ".per_cm2");
        if (const json* v = one.get("flat")) zp.flat = one.range(*v, zn + ".flat");
        if (zp.per_cm2 && zp.flat) one.fail(zn, "give per_cm2 or flat, not both");
        if (!zp.per_cm2 && !zp.flat) one.fail(zn, "needs per_cm2 or flat");
        one.done();
        b.zones[it.key()] = zp;
      }
      zf.done();
    }
    f.number("session_floor", b.session_floor, 0, 1e9);
    b.experience = {{"junior", 1.0}, {"senior", 1.0}, {"expert", 1.0}};
    if (const json* e = f.get("experience")) {
      Fields ef(*e, "pricing.experience", source);
      for (auto it = e->begin(); it != e->end(); ++it) {
        ef.get(it.key());
        b.experience[it.key()] =
            ef.checked_number(it.value(), "pricing.experience." + it.key(), 0.1, 10);
      }
    }
    if (const json* v = f.get("touch_up")) b.touch_up = f.range(*v, "pricing.touch_up");
    f.number("round_to", b.round_to, 1, 10000);
    f.done();
  }
  if (const json* q = top.get("quote")) {
    Fields f(*q, "quote", source);
    f.number("tax_rate", b.tax_rate, 0, 1);
    f.number("deposit_percent", b.deposit_percent, 0, 100);
    f.integer("valid_days", b.quote_valid_days, 1, 3650);
    f.done();
  }
  if (const json* t = top.get("treatment")) {
    Fields f(*t, "treatment", source);
    f.number("impressions_per_cm2", b.impressions_per_cm2, 10, 1000);
    f.number("placement_rate_per_hour", b.placement_rate_per_hour, 100, 50000);
    f.integer("session_interval_days", b.session_interval_days, 10, 30);
    f.integer("patch_test_days_before", b.patch_test_days_before, 2, 60);
    f.number("max_session_hours", b.max_session_hours, 1, 6);
    f.done();
  }
  if (const json* a = top.get("aftercare")) {
    if (!a->is_array()) top.fail("aftercare", "must be a list");
    for (size_t i = 0; i < a->size(); ++i) {
      std::string an = "aftercare[" + std::to_string(i) + "]";
      Fields f((*a)[i], an, source);
      AftercareRule r;
      f.text("text", r.text);
      if (r.text.empty()) f.fail(an + ".text", "missing");
      f.integer("from_day", r.from_day, 0, 365);
      f.integer("to_day", r.to_day, 0, 365);
      if (r.to_day < r.from_day) f.fail(an + ".to_day", "is before from_day");
      f.done();
      b.aftercare.push_back(r);
    }
  } else if (source != "default") {
    b.aftercare = default_price_book().aftercare;
  }
  top.done();
  return b;
}

PriceBook load_price_book(const std::string& path) {
  if (path.empty()) return default_price_book();
  auto bytes = read_file_bytes(path);
  return parse_price_book(std::string(bytes.begin(), bytes.end()), path);
}

}  // namespace smp
