// smp gallery CASES_DIR -o SITE_DIR [--anonymize eyes|face|none] [--title TEXT] [--max-side 1600]
#include <iostream>

#include "cli/command.h"
#include "smp/core/errors.h"
#include "smp/photo/gallery.h"

namespace smp::cli {
namespace {

struct GalleryArgs {
  std::string cases, site, anonymize = "none", title = "Before and after";
  int max_side = 1600;
};

void run(const GalleryArgs& a) {
  GalleryOptions opt;
  opt.anonymize = parse_anonymize(a.anonymize);
  opt.title = a.title;
  opt.max_long_side = a.max_side;
  GalleryReport rep = build_gallery(a.cases, a.site, face_model(), opt);
  for (const auto& f : rep.no_consent)
    std::cerr << "smp gallery: case " << f << " left out: case.json has no \"consent\": true\n";
  for (const auto& c : rep.published)
    if (c.verdict == "retake")
      std::cerr << "smp gallery: case " << c.folder << " (" << c.slug
                << ") published with a warning: the photos differ in pose or light\n";
  for (const auto& p : rep.failed)
    std::cerr << "smp: " << p.subject << ": " << p.reason << " (case skipped)\n";
  std::cout << "smp gallery: " << rep.published.size() << " case(s) published to " << a.site
            << "/index.html, " << rep.no_consent.size() << " left out for consent, "
            << rep.failed.size() << " failed\n";
  // The site is complete for the good cases; a failed case still makes the run a failure for
  // scripts. Consent skips are the normal case and do not.
  if (!rep.failed.empty())
    throw InputError(rep.failed.front().subject,
                     std::to_string(rep.failed.size()) + " case(s) could not be built");
}

Register reg("gallery", 61, [](CLI::App& app) {
  auto args = std::make_shared<GalleryArgs>();
  CLI::App* sub = app.add_subcommand("gallery",
                                     "Static before/after website from consented cases "
                                     "(CASES_DIR/<case>/{before.*,after.*,case.json})");
  sub->add_option("cases", args->cases, "folder with one folder per case")->required();
  sub->add_option("-o,--out", args->site, "site folder to (re)build")->required();
  sub->add_option("--anonymize", args->anonymize, "eyes | face | none")->capture_default_str();
  sub->add_option("--title", args->title, "title of the index page")->capture_default_str();
  sub->add_option("--max-side", args->max_side, "long side of the web images (px)")
      ->check(CLI::Range(200, 2000))
      ->capture_default_str();
  sub->callback([args] { run(*args); });
});

}  // namespace
}  // namespace smp::cli
