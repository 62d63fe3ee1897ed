// The treatment map on a real front view (a head of the Debian collage): what the analysis'
// labels decide.
#include "smp/render/treatment.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "smp/analysis/analysis.h"
#include "smp/image/image_io.h"
#include "test_support.h"

namespace smp {
namespace {

// The share of `region` (photo pixels) that the treatment map treats.
double treated_share(const TreatmentMap& m, const cv::Mat& region) {
  cv::Mat r;
  cv::resize(region, r, m.treated.size(), 0, 0, cv::INTER_NEAREST);
  return cv::countNonZero(r & m.treated) / std::max(1.0, 1.0 * cv::countNonZero(r));
}

// A shiny bald crown that the parts map called hair is still treated: it has the skin's
// colour, next to the bald scalp. The same "hair" where the analysis found no bald scalp is
// hair (white or grey hair over pink skin): only the hairline's rim reaches into it.
TEST(Treatment, SkinColouredHairIsACrownOnlyBesideTheBaldScalp) {
  const Photo p = read_photo(test::sample_photo("bald_guys.jpg"));
  AnalyzeOptions ao;
  ao.face_index = 1;  // a bald head whose whole dome is in the photo
  Analysis a = analyze(p.bgr, test::face_model(), ao);
  ASSERT_GT(a.scalp.bald_area_cm2, 10);
  // The head above 1.4 interpupillary distances (~90 mm) over the glabella: labelled hair, in
  // the skin's own colour.
  const Face& f = a.faces[a.face_index];
  cv::Mat crown = a.scalp.head_mask.clone();
  crown
      .rowRange(std::max(0, static_cast<int>(f.glabella().y - 1.4 * f.interpupillary_px())),
                crown.rows)
      .setTo(0);
  ASSERT_GT(cv::countNonZero(crown), 2000);
  cv::Mat photo = p.bgr.clone();
  photo.setTo(cv::mean(p.bgr, (a.parts == static_cast<uint8_t>(Part::kSkin)) & a.scalp.head_mask),
              crown);
  a.parts.setTo(static_cast<uint8_t>(Part::kHair), crown);
  TreatmentOptions o;
  o.photo = &photo;
  EXPECT_GT(treated_share(build_treatment_map(a, Design{}, o), crown), 0.8);
  a.scalp.bald_mask.setTo(0);
  a.scalp.bald_area_cm2 = 0;
  EXPECT_LT(treated_share(build_treatment_map(a, Design{}, o), crown), 0.5);
}

}  // namespace
}  // namespace smp
