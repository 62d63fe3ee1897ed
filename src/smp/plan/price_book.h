// The clinic's price book: what a treatment costs, how fast impressions are placed, what a quote
// states (clinic, tax, deposit, validity) and how money and dates are written. A default book
// (USD) is compiled into the binary; a clinic passes its own JSON with --pricebook. The schema is
// documented in docs/plan.md.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace smp {

// Every price is a range: a quote never pretends to a precision it does not have.
struct PriceRange {
  double low = 0, high = 0;
};

// A zone is priced by area (per_cm2) or at a flat price; neither: the book's default per_cm2.
struct ZonePrice {
  std::optional<PriceRange> per_cm2;
  std::optional<PriceRange> flat;
};

// How money and dates are written on the quote.
struct QuoteLocale {
  std::string currency_symbol = "$";
  bool symbol_after = false;  // "1.200 €" vs "$1,200"
  std::string thousands_sep = ",";
  std::string decimal_sep = ".";
  std::string date_format = "%B %-d, %Y";    // strftime
  std::string short_date_format = "%b %-d";  // in tables and the aftercare grid
};

// One aftercare instruction, repeated after every session: days counted from the session day
// (day 0) to `to_day` inclusive.
struct AftercareRule {
  std::string text;
  int from_day = 0, to_day = 0;
};

struct PriceBook {
  std::string source = "default";  // file name or "default", for messages and the report
  // clinic
  std::string clinic_name, clinic_address, clinic_phone, clinic_email;
  std::string currency = "USD";  // ISO 4217
  QuoteLocale locale;
  // pricing
  PriceRange base_fee;                     // once per treatment (consultation, design, patch test)
  PriceRange per_cm2;                      // default rate for any zone
  std::map<std::string, ZonePrice> zones;  // overrides by zone name
  double session_floor = 0;                // a session never costs less than this
  std::map<std::string, double> experience;  // practitioner level -> price multiplier
  PriceRange touch_up;                       // priced separately, years later
  double round_to = 10;
  // quote
  double tax_rate = 0;         // 0.2 = 20 %
  double deposit_percent = 0;  // of the total
  int quote_valid_days = 30;
  // treatment
  double impressions_per_cm2 = 100;  // over all sessions
  double placement_rate_per_hour = 3000;
  int session_interval_days = 14;  // 10..30
  int patch_test_days_before = 7;  // patch test this many days before session 1 (>= 2)
  double max_session_hours = 6;
  std::vector<AftercareRule> aftercare;
};

// The default book as JSON text (compiled in, so the binary is self-contained).
const std::string& default_price_book_json();
PriceBook default_price_book();

// Parses and validates a book. Throws InputError(source, "field 'x.y': reason") naming the first
// bad field; unknown fields are refused too (a typo must not silently fall back to a default).
PriceBook parse_price_book(const std::string& json_text, const std::string& source);
// "" -> the default book.
PriceBook load_price_book(const std::string& path);

}  // namespace smp
