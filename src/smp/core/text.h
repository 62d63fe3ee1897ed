// Text helpers for the self-contained HTML pages (quote, compare slider, gallery).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace smp {

// Standard base64 with padding (images embedded as data: URLs).
std::string base64(const std::vector<uint8_t>& bytes);

// Escapes & < > " ' for HTML text and attribute values.
std::string html_escape(const std::string& s);

}  // namespace smp
