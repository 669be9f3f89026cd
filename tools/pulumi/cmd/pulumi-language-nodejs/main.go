// Command pulumi-language-nodejs is cascade's minimal Node.js language host for the Pulumi CLI.
//
// Why it exists: the upstream host (module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
// is untagged, and the module proxy reachable from this project's machines serves none of its versions, so it
// cannot be built by module path here (see docs/real-engine.md). This host implements the part of the
// LanguageRuntime protocol that `pulumi preview`, `pulumi up`, `pulumi destroy`, `pulumi stack` and the
// Automation API need: it runs the program with the @pulumi/pulumi run script found in the program's
// node_modules, exactly as the upstream host does (same flags, same environment), and reports the result.
// It does not install dependencies, resolve plugins ahead of time (providers load on demand from $PATH or the
// plugin cache), generate code or pack SDKs.
//
// One deliberate difference from upstream, which runs the `node` found on $PATH: this host prefers the program's
// own node_modules/.bin/node (cascade's package.json installs Node.js 24 there through the npm `node` package), so
// `pulumi up` from a shell whose $PATH has an older system Node still runs the program on the project's Node.js.
// Without a node_modules/.bin/node above the program, it falls back to $PATH as upstream does.
//
// Project options honoured (Pulumi.yaml `runtime.options`): `nodeargs` (extra node flags, e.g. "--import tsx"),
// `typescript` (default true, as upstream; false when a loader such as tsx is given in nodeargs).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// version is set with -ldflags "-X main.version=..." by scripts/build-engine.sh.
var version = "0.0.0-cascade"

// exitCodeLoggedError is what @pulumi/pulumi's run script exits with after it has already reported the
// program's error to the engine (upstream: nodeJSProcessExitedAfterLoggingUserActionableMessage).
const exitCodeLoggedError = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func main() {
	flag.String("root", "", "project root (accepted for compatibility)")
	flag.String("tracing", "", "tracing endpoint (accepted for compatibility)")
	flag.Bool("typescript", true, "accepted for compatibility")
	flag.String("nodeargs", "", "accepted for compatibility")
	flag.Parse()
	engine := ""
	if flag.NArg() > 0 {
		engine = flag.Arg(0)
	}
	h := &host{engineAddress: engine}
	cancel := make(chan bool)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "fatal: could not start language host RPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "fatal: language host RPC stopped serving: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// GetRequiredPlugins and GetRequiredPackages report nothing: providers are then loaded on demand when the
// program registers its first resource of a package, from $PATH or the plugin cache, never downloaded ahead.
func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// InstallDependencies is a no-op: cascade installs node_modules with `npm ci` before the engine runs.
func (h *host) InstallDependencies(*pulumirpc.InstallDependenciesRequest,
	grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	return nil
}

func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) About(_ context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir, _ = os.Getwd()
	}
	node, err := findNode(dir)
	if err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "%v", err)
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, status.Errorf(codes.Internal, "node --version: %v", err)
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimSpace(string(out))}, nil
}

func (h *host) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// findUp walks up from dir to the first node_modules/<rel> that is a regular file (after symlinks), as Node's
// resolver walks node_modules directories.
func findUp(dir, rel string) (string, bool) {
	for d := dir; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, "node_modules", rel)
		if st, err := os.Stat(candidate); err == nil && st.Mode().IsRegular() {
			return candidate, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// findRunScript finds node_modules/@pulumi/pulumi/cmd/run above dir.
func findRunScript(dir string) (string, error) {
	index, ok := findUp(dir, filepath.Join("@pulumi", "pulumi", "cmd", "run", "index.js"))
	if !ok {
		return "", fmt.Errorf("could not find node_modules/@pulumi/pulumi/cmd/run above %s; run `npm ci` first", dir)
	}
	return filepath.Dir(index), nil
}

// findNode prefers the program's own node_modules/.bin/node (see the package comment), else node on $PATH.
func findNode(dir string) (string, error) {
	if node, ok := findUp(dir, filepath.Join(".bin", "node")); ok {
		return node, nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return "", fmt.Errorf("no node_modules/.bin/node above %s and no node on PATH: %w", dir, err)
	}
	return node, nil
}

func optString(opts *structpb.Struct, key string) (string, bool) {
	if opts == nil {
		return "", false
	}
	v, ok := opts.GetFields()[key]
	if !ok {
		return "", false
	}
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		return k.StringValue, true
	case *structpb.Value_BoolValue:
		return strconv.FormatBool(k.BoolValue), true
	case *structpb.Value_NumberValue:
		return strconv.FormatFloat(k.NumberValue, 'f', -1, 64), true
	}
	return "", false
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := req.GetPwd()
	entry := "."
	rootDir := ""
	var opts *structpb.Struct
	if info != nil {
		if info.GetProgramDirectory() != "" {
			programDir = info.GetProgramDirectory()
		}
		if info.GetEntryPoint() != "" {
			entry = info.GetEntryPoint()
		}
		rootDir = info.GetRootDirectory()
		opts = info.GetOptions()
	} else if req.GetProgram() != "" {
		entry = req.GetProgram()
	}
	if programDir == "" {
		programDir, _ = os.Getwd()
	}

	runScript, err := findRunScript(programDir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	node, err := findNode(programDir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	var args []string
	if nodeargs, ok := optString(opts, "nodeargs"); ok && strings.TrimSpace(nodeargs) != "" {
		args = append(args, strings.Fields(nodeargs)...)
	}
	args = append(args, runScript)
	if req.GetMonitorAddress() != "" {
		args = append(args, "--monitor="+req.GetMonitorAddress())
	}
	if h.engineAddress != "" {
		args = append(args, "--engine="+h.engineAddress)
	}
	if req.GetOrganization() != "" {
		args = append(args, "--organization="+req.GetOrganization())
	}
	args = append(args, "--project="+req.GetProject(), "--stack="+req.GetStack(), "--pwd="+programDir)
	if rootDir != "" {
		args = append(args, "--root-directory="+rootDir)
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 0 {
		args = append(args, "--parallel="+strconv.Itoa(int(req.GetParallel())))
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	configMap := req.GetConfig()
	if configMap == nil {
		configMap = map[string]string{} // "null" would break @pulumi/pulumi's config parsing
	}
	config, err := json.Marshal(configMap)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secrets, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	typescript := "true"
	if v, ok := optString(opts, "typescript"); ok {
		typescript = v
	}

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = programDir
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secrets),
		"PULUMI_NODEJS_TYPESCRIPT="+typescript,
	)
	if tsconfig, ok := optString(opts, "tsconfig"); ok && tsconfig != "" {
		cmd.Env = append(cmd.Env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}
	err = cmd.Run()
	if err == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok {
			switch {
			case ws.Exited() && ws.ExitStatus() == exitCodeLoggedError:
				// The program's error was already reported to the engine.
				return &pulumirpc.RunResponse{Bail: true}, nil
			case ws.Signaled():
				return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited due to signal %v", ws.Signal())}, nil
			case ws.Exited():
				return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", ws.ExitStatus())}, nil
			}
		}
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err)}, nil
}
