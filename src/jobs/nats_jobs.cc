// JetStream jobs with nats.c: a durable pull consumer fetched one message at a time and acked
// synchronously; a publisher that creates the stream and consumers and waits for each PubAck.
#include <fmt/format.h>
#include <nats/nats.h>

#include "poolscaler/jobs/queues.h"

namespace poolscaler::jobs {
namespace {

std::string NatsError(natsStatus s, jsErrCode code = static_cast<jsErrCode>(0)) {
  natsStatus ignored;
  const char* text = nats_GetLastError(&ignored);
  std::string out = natsStatus_GetText(s);
  if (text != nullptr && *text != '\0') out += fmt::format(" ({})", text);
  if (code != 0) out += fmt::format(" [JetStream error {}]", static_cast<int>(code));
  return out;
}

int Millis(Duration d) {
  return static_cast<int>(
      std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(d).count()));
}

// One connection and its JetStream context; closed when destroyed.
class NatsLink {
 public:
  static absl::StatusOr<std::unique_ptr<NatsLink>> Open(const std::string& url) {
    static const natsStatus opened = nats_Open(-1);
    if (opened != NATS_OK) {
      return absl::InternalError(fmt::format("nats.c: {}", natsStatus_GetText(opened)));
    }
    natsOptions* opts = nullptr;
    if (natsOptions_Create(&opts) != NATS_OK) return absl::InternalError("nats.c: out of memory");
    natsOptions_SetURL(opts, url.c_str());
    natsOptions_SetName(opts, "poolscaler-jobs");
    natsOptions_SetTimeout(opts, 2000);
    natsOptions_SetMaxReconnect(opts, 60);
    natsOptions_SetReconnectWait(opts, 500);
    auto link = std::unique_ptr<NatsLink>(new NatsLink());
    natsStatus s = natsConnection_Connect(&link->nc_, opts);
    natsOptions_Destroy(opts);
    if (s != NATS_OK) {
      return absl::UnavailableError(
          fmt::format("cannot connect to nats at {}: {}", RedactUrl(url), NatsError(s)));
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 5000;
    if ((s = natsConnection_JetStream(&link->js_, link->nc_, &jo)) != NATS_OK) {
      return absl::InternalError(
          fmt::format("nats at {}: no JetStream context: {}", RedactUrl(url), NatsError(s)));
    }
    return link;
  }
  ~NatsLink() {
    if (js_ != nullptr) jsCtx_Destroy(js_);
    if (nc_ != nullptr) {
      natsConnection_Close(nc_);
      natsConnection_Destroy(nc_);
    }
  }
  natsConnection* nc() const { return nc_; }
  jsCtx* js() const { return js_; }

 private:
  NatsLink() = default;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
};

class NatsJobConsumer final : public JobConsumer {
 public:
  NatsJobConsumer(std::unique_ptr<NatsLink> link, natsSubscription* sub, std::string where)
      : link_(std::move(link)), sub_(sub), where_(std::move(where)) {}
  ~NatsJobConsumer() override {
    if (current_ != nullptr) natsMsg_Destroy(current_);
    Close();
  }

  absl::StatusOr<std::optional<Delivery>> Next(Duration wait) override {
    natsMsgList list{};
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = natsSubscription_Fetch(&list, sub_, 1, Millis(wait), &code);
    if (s == NATS_TIMEOUT) {
      natsMsgList_Destroy(&list);
      return std::nullopt;
    }
    if (s != NATS_OK || list.Count < 1) {
      natsMsgList_Destroy(&list);
      return absl::UnavailableError(fmt::format("fetch from {}: {}", where_, NatsError(s, code)));
    }
    current_ = list.Msgs[0];
    list.Msgs[0] = nullptr;
    natsMsgList_Destroy(&list);
    Delivery d;
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, current_) == NATS_OK) {
      d.delivery_count = static_cast<int64_t>(meta->NumDelivered);
      jsMsgMetaData_Destroy(meta);
    }
    std::string body(natsMsg_GetData(current_),
                     static_cast<size_t>(natsMsg_GetDataLength(current_)));
    absl::StatusOr<std::pair<std::string, int64_t>> parsed = ParseJobBody(body);
    if (!parsed.ok()) {
      natsMsg_Term(current_, nullptr);  // never deliver a body nobody can read again
      natsMsg_Destroy(current_);
      current_ = nullptr;
      return parsed.status();
    }
    d.id = parsed->first;
    d.size_kb = parsed->second;
    return d;
  }

  absl::Status Ack(bool /*last*/) override {
    if (current_ == nullptr) return absl::FailedPreconditionError("ack: no job outstanding");
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = natsMsg_AckSync(current_, nullptr, &code);
    natsMsg_Destroy(current_);
    current_ = nullptr;
    if (s != NATS_OK) {
      return absl::UnavailableError(fmt::format("ack on {}: {}", where_, NatsError(s, code)));
    }
    return absl::OkStatus();
  }

  void Close() override {
    // Destroying the subscription leaves the durable consumer in place (it was bound, not
    // created, by this subscription).
    if (sub_ != nullptr) natsSubscription_Destroy(sub_);
    sub_ = nullptr;
    link_.reset();
  }

 private:
  std::unique_ptr<NatsLink> link_;
  natsSubscription* sub_;
  natsMsg* current_ = nullptr;
  std::string where_;
};

class NatsJobPublisher final : public JobPublisher {
 public:
  explicit NatsJobPublisher(std::unique_ptr<NatsLink> link) : link_(std::move(link)) {}
  absl::Status Publish(const std::string& subject, const std::string& id,
                       int64_t size_kb) override {
    std::string body = JobBody(id, size_kb);
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_Publish(&ack, link_->js(), subject.c_str(), body.data(),
                              static_cast<int>(body.size()), nullptr, &code);
    if (ack != nullptr) jsPubAck_Destroy(ack);
    if (s != NATS_OK) {
      return absl::UnavailableError(fmt::format("publish to {}: {}", subject, NatsError(s, code)));
    }
    return absl::OkStatus();
  }

 private:
  std::unique_ptr<NatsLink> link_;
};

absl::Status EnsureTopology(jsCtx* js, const NatsTopology& t) {
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = t.stream.c_str();
  std::vector<const char*> subjects;
  for (const std::string& s : t.subjects) subjects.push_back(s.c_str());
  sc.Subjects = subjects.data();
  sc.SubjectsLen = static_cast<int>(subjects.size());
  sc.Storage = js_FileStorage;
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, js, &sc, nullptr, &code);
  if (si != nullptr) jsStreamInfo_Destroy(si);
  if (s != NATS_OK) {
    return absl::FailedPreconditionError(
        fmt::format("cannot create stream {}: {}", t.stream, NatsError(s, code)));
  }
  for (const auto& [durable, filter] : t.consumers) {
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = durable.c_str();
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = std::chrono::duration_cast<std::chrono::nanoseconds>(t.ack_wait).count();
    cc.MaxDeliver = t.max_deliver;
    cc.FilterSubject = filter.c_str();
    jsConsumerInfo* ci = nullptr;
    s = js_AddConsumer(&ci, js, t.stream.c_str(), &cc, nullptr, &code);
    if (ci != nullptr) jsConsumerInfo_Destroy(ci);
    if (s != NATS_OK) {
      return absl::FailedPreconditionError(fmt::format("cannot create consumer {} on stream {}: {}",
                                                       durable, t.stream, NatsError(s, code)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<JobConsumer>> NatsConsumer(const std::string& url,
                                                          const std::string& stream,
                                                          const std::string& durable) {
  absl::StatusOr<std::unique_ptr<NatsLink>> link = NatsLink::Open(url);
  if (!link.ok()) return link.status();
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Consumer = durable.c_str();
  natsSubscription* sub = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s =
      js_PullSubscribe(&sub, (*link)->js(), nullptr, durable.c_str(), nullptr, &so, &code);
  if (s != NATS_OK) {
    return absl::FailedPreconditionError(
        fmt::format("cannot bind to consumer {} of stream {} at {}: {}", durable, stream,
                    RedactUrl(url), NatsError(s, code)));
  }
  return std::make_unique<NatsJobConsumer>(
      std::move(*link), sub, fmt::format("{}/{} at {}", stream, durable, RedactUrl(url)));
}

absl::StatusOr<std::unique_ptr<JobPublisher>> NatsPublisher(const std::string& url,
                                                            const NatsTopology& topology) {
  absl::StatusOr<std::unique_ptr<NatsLink>> link = NatsLink::Open(url);
  if (!link.ok()) return link.status();
  if (absl::Status st = EnsureTopology((*link)->js(), topology); !st.ok()) {
    return absl::Status(st.code(),
                        fmt::format("nats at {}: {}", RedactUrl(url), std::string(st.message())));
  }
  return std::make_unique<NatsJobPublisher>(std::move(*link));
}

}  // namespace poolscaler::jobs
