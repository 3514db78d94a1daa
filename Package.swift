// swift-tools-version:6.0
import PackageDescription

/// Every target builds in Swift 6 language mode, so strict concurrency checking is on everywhere.
let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "order-pipeline",
    products: [
        .library(name: "Bytes", targets: ["Bytes"]),
        .library(name: "Transport", targets: ["Transport"]),
        .library(name: "RESP", targets: ["RESP"]),
        .library(name: "AMQP091", targets: ["AMQP091"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
        .library(name: "Services", targets: ["Services"]),
        .library(name: "JSON", targets: ["JSON"]),
        .library(name: "HTTPClient", targets: ["HTTPClient"]),
        .library(name: "Tracing", targets: ["Tracing"]),
        .library(name: "AMQP091Reflection", targets: ["AMQP091Reflection"]),
        .library(name: "CommandLineOptions", targets: ["CommandLineOptions"]),
        .executable(name: "amqp-codegen", targets: ["amqp-codegen"]),
        .executable(name: "conformance", targets: ["conformance"]),
        .executable(name: "order-dashboard", targets: ["order-dashboard"]),
        .executable(name: "order-gateway", targets: ["order-gateway"]),
        .executable(name: "order-notifier", targets: ["order-notifier"]),
        .executable(name: "order-pipeline", targets: ["order-pipeline"]),
        .executable(name: "order-processor", targets: ["order-processor"]),
    ],
    targets: [
        // Libraries
        .target(name: "Bytes", swiftSettings: swift6),
        .target(name: "Transport", dependencies: ["Bytes"], swiftSettings: swift6),
        .target(name: "RESP", dependencies: ["Bytes", "Transport"], swiftSettings: swift6),
        .target(name: "AMQP091", dependencies: ["Bytes", "Transport"], swiftSettings: swift6),
        // Methods and properties by spec names, for the conformance runner and the fuzzer only.
        .target(name: "AMQP091Reflection", dependencies: ["AMQP091", "Bytes"], swiftSettings: swift6),
        // The HTTP/1.1 wire pieces the server and the client share: byte classes, chunked bodies.
        .target(name: "HTTPCodec", dependencies: ["Bytes"], swiftSettings: swift6),
        .target(name: "HTTPServer", dependencies: ["Bytes", "Transport", "HTTPCodec"], swiftSettings: swift6),
        .target(name: "Services", dependencies: ["RESP", "AMQP091", "HTTPServer", "HTTPClient", "JSON", "Tracing"], swiftSettings: swift6),
        .target(name: "JSON", swiftSettings: swift6),
        .target(name: "HTTPClient", dependencies: ["Bytes", "Transport", "HTTPCodec"], swiftSettings: swift6),
        .target(name: "Tracing", dependencies: ["Bytes", "Transport", "JSON", "HTTPClient"], swiftSettings: swift6),
        .target(name: "AMQPCodegen", swiftSettings: swift6),
        // The command lines of the project's executables: --help, --flag value and --flag=value.
        .target(name: "CommandLineOptions", swiftSettings: swift6),

        // Executables
        .executableTarget(name: "amqp-codegen", dependencies: ["AMQPCodegen", "CommandLineOptions"], swiftSettings: swift6),
        .executableTarget(name: "conformance", dependencies: ["Bytes", "RESP", "AMQP091", "AMQP091Reflection", "HTTPServer", "CommandLineOptions"], swiftSettings: swift6),
        .executableTarget(name: "order-dashboard", dependencies: ["Services"], swiftSettings: swift6),
        .executableTarget(name: "order-gateway", dependencies: ["Services"], swiftSettings: swift6),
        .executableTarget(name: "order-notifier", dependencies: ["Services"], swiftSettings: swift6),
        .executableTarget(name: "order-pipeline", dependencies: ["Services"], swiftSettings: swift6),
        .executableTarget(name: "order-processor", dependencies: ["Services"], swiftSettings: swift6),

        // Tests. A *CodecTests target holds a module's byte-level suites (codecs, state machines,
        // vectors), which need no socket, server or timer; scripts/test.sh runs them (with
        // BytesTests and ConformanceTests, byte-level throughout) before the others.
        .target(name: "TestSupport", dependencies: ["Bytes", "Transport"], path: "Tests/TestSupport", swiftSettings: swift6),
        .testTarget(name: "BytesTests", dependencies: ["Bytes"], swiftSettings: swift6),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "Bytes", "TestSupport"], swiftSettings: swift6),
        .testTarget(name: "RESPCodecTests", dependencies: ["RESP", "Bytes", "TestSupport"], swiftSettings: swift6),
        .testTarget(name: "RESPTests", dependencies: ["RESP", "Bytes", "Transport", "TestSupport"], swiftSettings: swift6),
        .testTarget(name: "AMQP091CodecTests", dependencies: ["AMQP091", "AMQP091Reflection", "AMQPCodegen", "Bytes", "TestSupport"], swiftSettings: swift6),
        .testTarget(name: "AMQP091Tests", dependencies: ["AMQP091", "TestSupport", "Transport", "Bytes"], swiftSettings: swift6),
        .testTarget(name: "HTTPCodecTests", dependencies: ["HTTPCodec", "Bytes", "TestSupport"], swiftSettings: swift6),
        .testTarget(name: "HTTPServerCodecTests", dependencies: ["HTTPServer", "Bytes", "TestSupport"], swiftSettings: swift6),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "Bytes", "Transport", "TestSupport"], swiftSettings: swift6),
        .testTarget(name: "ServicesTests", dependencies: ["Services", "RESP", "AMQP091", "HTTPServer", "Transport", "Bytes", "TestSupport", "Tracing"], swiftSettings: swift6),
        .testTarget(name: "ConformanceTests", dependencies: ["conformance"], swiftSettings: swift6),
        .testTarget(name: "JSONCodecTests", dependencies: ["JSON"], swiftSettings: swift6),
        .testTarget(name: "HTTPClientCodecTests", dependencies: ["HTTPClient", "Bytes", "TestSupport"], swiftSettings: swift6),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "Bytes", "Transport", "TestSupport"], swiftSettings: swift6),
        .testTarget(name: "TracingCodecTests", dependencies: ["Tracing"], swiftSettings: swift6),
        .testTarget(name: "TracingTests", dependencies: ["Tracing", "HTTPClient", "JSON", "Transport", "Bytes", "TestSupport"], swiftSettings: swift6),
        .testTarget(name: "CommandLineOptionsTests", dependencies: ["CommandLineOptions"], swiftSettings: swift6),
        .testTarget(name: "IntegrationTests", dependencies: ["TestSupport", "Transport", "Bytes"], swiftSettings: swift6),
    ]
)
