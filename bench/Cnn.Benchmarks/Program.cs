using BenchmarkDotNet.Running;
using Cnn.Benchmarks.E2E;

// `e2e ...`: the end-to-end comparison with PyTorch; `conv-timing ...`: kernel-only convolution timings; anything else goes to BenchmarkDotNet (kernel benchmarks).
if (args.Length > 0 && args[0] == "e2e") return Runner.Run(args[1..]);
if (args.Length > 0 && args[0] == "conv-timing") return Cnn.Benchmarks.Kernels.ConvTiming.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Runner).Assembly).Run(args);
return 0;
