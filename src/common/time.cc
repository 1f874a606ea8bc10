#include "poolscaler/common/time.h"

namespace poolscaler {

const RealClock& RealClock::Instance() {
  static const RealClock clock;
  return clock;
}

}  // namespace poolscaler
