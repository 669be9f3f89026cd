// Pulumi captures a stack trace for every resource it registers; under mocks that is most of
// the cost of a test (about 60 ms per container with traces, 7 ms without).
Error.stackTraceLimit = 0;
