#pragma once
// KedaClient: drives the ExternalScaler API the way KEDA does each polling interval
// (GetMetricSpec → GetMetrics with the announced metric name → IsActive), and computes what the
// HPA would do with the answer (AverageValue: ceil(metric / target)).
#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>

#include "externalscaler.grpc.pb.h"

namespace poolscaler::testing {

struct Poll {
  grpc::Status status;     // the first failing call's status, or OK
  std::string failed_rpc;  // which call failed
  std::string metric_name;
  double target = 0;
  double value = 0;
  bool active = false;
  // What the HPA computes from value and target (AverageValue), 0 when inactive (KEDA scales
  // to zero then).
  long long HpaReplicas() const;
};

class KedaClient {
 public:
  explicit KedaClient(const std::string& address);  // "127.0.0.1:PORT"

  Poll PollOnce(const std::map<std::string, std::string>& metadata,
                const std::string& name = "so", const std::string& ns = "default");

  grpc::Status GetMetricSpec(const externalscaler::ScaledObjectRef& ref,
                             externalscaler::GetMetricSpecResponse* out);
  grpc::Status GetMetrics(const externalscaler::ScaledObjectRef& ref, const std::string& metric,
                          externalscaler::GetMetricsResponse* out);
  grpc::Status IsActive(const externalscaler::ScaledObjectRef& ref, bool* active);

  static externalscaler::ScaledObjectRef Ref(const std::map<std::string, std::string>& metadata,
                                             const std::string& name = "so",
                                             const std::string& ns = "default");
  externalscaler::ExternalScaler::Stub& stub() { return *stub_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<externalscaler::ExternalScaler::Stub> stub_;
};

}  // namespace poolscaler::testing
