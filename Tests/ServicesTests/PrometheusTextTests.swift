import Services
import Testing

@Suite struct PrometheusTextTests {
    @Test func rendersFamiliesInTheTextFormat() {
        var page = PrometheusText()
        page.add("orders_total", .counter, help: "Orders by outcome.", samples: [
            (labels: [("outcome", "accepted")], value: 12),
            (labels: [("outcome", "rejected")], value: 3),
        ])
        page.add("queue_depth", .gauge, help: "Messages waiting.", value: 0.5)
        #expect(page.text == """
            # HELP orders_total Orders by outcome.
            # TYPE orders_total counter
            orders_total{outcome="accepted"} 12
            orders_total{outcome="rejected"} 3
            # HELP queue_depth Messages waiting.
            # TYPE queue_depth gauge
            queue_depth 0.5

            """)
    }

    @Test func escapesLabelValuesAndHelp() {
        var page = PrometheusText()
        page.add("m", .gauge, help: "a\\b\nc", samples: [(labels: [("l", "q\"\\\n")], value: .infinity)])
        #expect(page.text == "# HELP m a\\\\b\\nc\n# TYPE m gauge\nm{l=\"q\\\"\\\\\\n\"} +Inf\n")
    }
}

@Suite struct ServiceMetricsTests {
    @Test func countersRenderAsPrometheusFamiliesWithLabels() {
        let metrics = ServiceMetrics(service: "gateway")
        metrics.increment("http_responses_total", [("status", "202")])
        metrics.increment("http_responses_total", [("status", "202")])
        metrics.increment("http_responses_total", [("status", "409")])
        let page = metrics.render(gauges: [(name: "redis_ready", help: "1 when Redis answers.", value: 1)])
        #expect(page.contains("order_pipeline_up{service=\"gateway\"} 1\n"))
        #expect(page.contains("# TYPE http_responses_total counter\nhttp_responses_total{status=\"202\"} 2\nhttp_responses_total{status=\"409\"} 1\n"))
        #expect(page.contains("# TYPE redis_ready gauge\nredis_ready 1\n"))
    }
}
