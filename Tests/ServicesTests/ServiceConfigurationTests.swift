import Foundation
@testable import Services
import Synchronization
import RESP
import Testing

@Suite struct ServiceConfigurationTests {
    @Test func environmentOverridesDefaultsAndFlagsOverrideTheEnvironment() throws {
        let config = try ServiceConfiguration(
            environment: ["REDIS_URL": "redis://r:6380/2", "RABBITMQ_URLS": "amqp://a:5672/, amqp://b:5673/", "PREFETCH": "10", "BATCH_LANES": "2"],
            arguments: ["--prefetch", "20", "--gateway-port", "9000", "--batch-max-orders", "64", "--notify-concurrency", "32", "--event-loop-threads", "3", "--batch-gather-us", "0"]
        )
        #expect(config.redisURL == "redis://r:6380/2")
        #expect(config.rabbitmqURLs == ["amqp://a:5672/", "amqp://b:5673/"])
        #expect(config.prefetch == 20)
        #expect(config.gatewayPort == 9000)
        #expect(config.dashboardPort == ServiceConfiguration().dashboardPort)
        #expect(config.batchLanes == 2 && config.maxBatchOrders == 64 && config.notifyConcurrency == 32)
        #expect(config.eventLoopThreads == 3 && ServiceConfiguration().eventLoopThreads == 1)
        #expect(config.batchGatherMicroseconds == 0 && ServiceConfiguration().batchGatherMicroseconds == 300)
    }

    @Test(arguments: [(["PREFETCH": "0"], "PREFETCH"), (["GATEWAY_PORT": "70000"], "GATEWAY_PORT"), (["INFLIGHT_TTL_SECONDS": "x"], "INFLIGHT_TTL_SECONDS"), (["RABBITMQ_URLS": " , "], "RABBITMQ_URLS"), (["BATCH_LANES": "0"], "BATCH_LANES"), (["BATCH_MAX_ORDERS": "5000"], "BATCH_MAX_ORDERS"), (["EVENT_LOOP_THREADS": "0"], "EVENT_LOOP_THREADS"), (["BATCH_GATHER_US": "-1"], "BATCH_GATHER_US")])
    func rejectsOutOfRangeSettingsByName(environment: [String: String], name: String) {
        let error = #expect(throws: ServiceConfiguration.InvalidSetting.self) { try ServiceConfiguration(environment: environment, arguments: []) }
        #expect(error?.name == name)
    }

    @Test func flagsTakeTheirValueAfterAnEqualsSignToo() throws {
        let config = try ServiceConfiguration(environment: [:], arguments: ["--prefetch=7", "--rabbitmq-urls=amqp://x:1/,amqp://y:2/", "--host", "0.0.0.0"])
        #expect(config.prefetch == 7 && config.rabbitmqURLs == ["amqp://x:1/", "amqp://y:2/"] && config.host == "0.0.0.0")
    }

    @Test(arguments: ["--no-such-setting=1", "--no-such-setting", "prefetch", "--"])
    func anUnknownOrMalformedFlagIsAnError(argument: String) {
        let error = #expect(throws: ServiceConfiguration.InvalidSetting.self) {
            try ServiceConfiguration(environment: [:], arguments: [argument, "1"])
        }
        #expect(error?.name == "arguments" && error?.value == argument)
        #expect(error?.description.contains("--help") == true)
    }

    @Test func outOfRangeValuesSayWhatIsExpected() {
        let error = #expect(throws: ServiceConfiguration.InvalidSetting.self) {
            try ServiceConfiguration(environment: ["PREFETCH": "0"], arguments: [])
        }
        #expect(error?.description == "invalid value '0' for PREFETCH: expected an integer in 1...65535")
    }

    @Test func helpListsEverySettingWithItsVariableFlagAndDefault() {
        #expect(ServiceConfiguration.wantsHelp(["--help"]) && ServiceConfiguration.wantsHelp(["--prefetch", "2", "-h"]))
        #expect(!ServiceConfiguration.wantsHelp(["--prefetch", "2"]))
        let usage = ServiceConfiguration.usage(program: "order-gateway", summary: "runs the gateway")
        #expect(usage.hasPrefix("order-gateway: runs the gateway\n"))
        for setting in ServiceConfiguration.settings {
            let shown = setting.defaultValue.isEmpty ? "none" : setting.defaultValue
            #expect(usage.contains("\(setting.flag) VALUE") && usage.contains("\(setting.name) (default \(shown))"), "\(setting.name)")
        }
        #expect(usage.contains("--batch-gather-us VALUE") && usage.contains("BATCH_GATHER_US (default 300)"))
        #expect(usage.contains("DASHBOARD_HEALTH_TARGETS (default none)"))
        #expect(usage.contains("--access-log VALUE") && usage.contains("ACCESS_LOG (default 0)"))
        for variable in ["OTEL_EXPORTER_OTLP_ENDPOINT (default none: tracing off)", "OTEL_SERVICE_NAME", "OTEL_TRACES_SAMPLER (default parentbased_always_on)",
                         "OTEL_TRACES_SAMPLER_ARG (default 1.0)", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_SDK_DISABLED (default false)"] {
            #expect(usage.contains(variable), "\(variable)")
        }
    }

    @Test func theAccessLogIsOffUnlessAskedFor() throws {
        #expect(!ServiceConfiguration().accessLog)
        #expect(try ServiceConfiguration(environment: ["ACCESS_LOG": "1"], arguments: []).accessLog)
        #expect(try !ServiceConfiguration(environment: ["ACCESS_LOG": "1"], arguments: ["--access-log=0"]).accessLog)
        let error = #expect(throws: ServiceConfiguration.InvalidSetting.self) { try ServiceConfiguration(environment: ["ACCESS_LOG": "yes"], arguments: []) }
        #expect(error?.name == "ACCESS_LOG")
    }

    @Test func tracingIsConfiguredByTheOTELVariablesOfTheEnvironmentOnly() throws {
        let config = try ServiceConfiguration(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SERVICE_NAME": "x", "PREFETCH": "3"], arguments: [])
        #expect(config.otel == ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SERVICE_NAME": "x"])
        #expect(throws: ServiceConfiguration.InvalidSetting.self) {
            try ServiceConfiguration(environment: [:], arguments: ["--otel-service-name", "x"])
        }
    }

    @Test func theRedisLayoutAndTheBrokerTopologyAreSettings() throws {
        let defaults = ServiceConfiguration()
        #expect(defaults.redisShards == 16 && defaults.redisMinReplicas == nil && defaults.rabbitmqTopology == .independent)
        let set = try ServiceConfiguration(environment: ["REDIS_MIN_REPLICAS": "2", "RABBITMQ_TOPOLOGY": "cluster"], arguments: ["--redis-shards=4"])
        #expect(set.redisShards == 4 && set.redisMinReplicas == 2 && set.rabbitmqTopology == .cluster)
        #expect(try ServiceConfiguration(environment: ["REDIS_MIN_REPLICAS": "auto"], arguments: []).redisMinReplicas == nil)
        for (name, value) in [("REDIS_MIN_REPLICAS", "some"), ("RABBITMQ_TOPOLOGY", "mesh"), ("REDIS_SHARDS", "0")] {
            let error = #expect(throws: ServiceConfiguration.InvalidSetting.self) { try ServiceConfiguration(environment: [name: value], arguments: []) }
            #expect(error?.name == name)
        }
        #expect(PipelineRedisLayout.connectedReplicas(inInfo: "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n") == 2)
        #expect(PipelineRedisLayout.connectedReplicas(inInfo: "# Replication\r\nrole:slave\r\n") == nil)
        #expect(PipelineRedisLayout.keys(for: try RedisTopology(url: "redis://127.0.0.1:6379"), shards: 8) == .unsharded)
        let sharded = PipelineRedisLayout.keys(for: try RedisTopology(url: "redis-cluster://127.0.0.1:7001"), shards: 8)
        #expect(sharded.shardCount == 8 && Set(sharded.shardTags.map { RedisHashSlot.slot(of: $0) / 2048 }).count == 8, "one shard per eighth of the slots")
    }

    @Test func rolesAreAListOfKnownServicesInTheirUsualOrder() throws {
        #expect(ServiceConfiguration().roles == ServiceRole.allCases)
        #expect(try ServiceConfiguration(environment: ["ROLES": "notifier, gateway"], arguments: []).roles == [.gateway, .notifier])
        let error = #expect(throws: ServiceConfiguration.InvalidSetting.self) {
            try ServiceConfiguration(environment: [:], arguments: ["--roles=gateway,cache"])
        }
        #expect(error?.name == "ROLES")
    }

    @Test func aFlagWithoutAValueIsAnError() {
        let error = #expect(throws: ServiceConfiguration.InvalidSetting.self) {
            try ServiceConfiguration(environment: [:], arguments: ["--prefetch"])
        }
        #expect(error?.name == "arguments" && error?.value == "--prefetch")
    }
}

@Suite struct DashboardSettingsTests {
    @Test func listsAreCommaSeparated() throws {
        let configuration = try ServiceConfiguration(environment: ["DASHBOARD_ALLOWED_ORIGINS": "https://a.example, http://b.example:8081,"],
                                                     arguments: ["--dashboard-health-targets", "gateway=http://gw:8080/readyz"])
        #expect(configuration.dashboardAllowedOrigins == ["https://a.example", "http://b.example:8081"])
        #expect(configuration.dashboardHealthTargets == ["gateway=http://gw:8080/readyz"])
    }
}
