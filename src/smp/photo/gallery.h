// `smp gallery`: a static before/after website from a folder of consented cases.
// CASES_DIR/<case>/{before.*, after.*, case.json}; the schema is in the README (smp gallery).
// Nothing of a case without "consent": true reaches the site; folder names (often client names)
// never do.
#pragma once
#include <string>
#include <vector>

#include "smp/core/timings.h"
#include "smp/photo/compare.h"

namespace smp {

struct CaseInfo {
  std::string caption;
  std::string treatment;                // "hairline", "crown", "density", "scar", "full"...
  int sessions = 0;                     // 0: not given
  std::string before_date, after_date;  // YYYY-MM-DD or ""
  bool consent = false;
};

// Reads and checks case.json; throws InputError naming the file and the field.
CaseInfo read_case_json(const std::string& path);

struct GalleryOptions {
  std::string title = "Before and after";
  Anonymize anonymize = Anonymize::kNone;
  int max_long_side = 1600;  // web size, at most 2000
  int thumb_width = 640;
  CompareOptions compare;
};

struct GalleryCase {
  std::string folder;  // the input folder name (for messages only, never published)
  std::string slug;    // "case-1": the published name
  CaseInfo info;
  std::string verdict;
  std::vector<std::string> reasons;
};

struct GalleryProblem {
  std::string subject;  // the file or folder
  std::string reason;
};

struct GalleryReport {
  std::vector<GalleryCase> published;
  std::vector<std::string> no_consent;  // folders left out for want of consent
  std::vector<GalleryProblem> failed;   // cases that could not be built (rest still built)
  Timings timings;
};

// Builds the site into site_dir (replaced as a whole, so withdrawn cases disappear). Throws
// InputError when cases_dir is not a folder and UsageError when site_dir exists and is neither
// empty nor a site this command made.
GalleryReport build_gallery(const std::string& cases_dir, const std::string& site_dir,
                            const FaceModel& model, const GalleryOptions& opt = {});

}  // namespace smp
