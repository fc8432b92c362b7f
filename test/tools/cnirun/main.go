// cnirun is the project's libcni test runtime: it drives a network configuration through libcni
// (Debian's golang-github-appc-cni-dev, the library containerd, CRI-O and podman run), so the e2e
// tests, the demo and the benchmarks see cni-chain's plugins exactly as a container runtime would.
// Built offline by build.sh next to this file.
//
//	cnirun add|check|del CONFLIST NETNS [ID] [IFNAME]
//	cnirun validate CONFLIST   every plugin found and speaking the list's version; prints capabilities
//	cnirun version CONFLIST    each plugin's VERSION answer, as JSON
//
// ID defaults to cnirun-<basename of NETNS>, IFNAME to eth0. CONFLIST may also be a single .conf.
// Environment, read once per call as a runtime would pass it:
//
//	CNI_PATH       plugin directories, colon separated (first match wins)
//	CAP_ARGS       capability args as a JSON object, e.g. {"portMappings":[...]}
//	CNI_ARGS       K=V;K=V pairs for every plugin
//	CNI_CACHE_DIR  libcni's result cache (default /var/lib/cni)
//
// Exit status: 0 done; 1 libcni or a plugin failed (message on stderr, a plugin's CNI error also as
// JSON on stdout); 2 bad usage. libcni 1.1 has no GC or STATUS, so neither has cnirun.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

const usage = `usage: cnirun add|check|del CONFLIST NETNS [ID] [IFNAME]
       cnirun validate|version CONFLIST
env: CNI_PATH, CAP_ARGS (JSON object), CNI_ARGS (K=V;K=V), CNI_CACHE_DIR`

// usageError marks a mistake of the caller (exit 2) rather than of libcni or a plugin (exit 1).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		os.Exit(report(err))
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) < 2 {
		return usageError{"missing arguments"}
	}
	verb, file := args[0], args[1]
	switch verb {
	case "add", "check", "del", "validate", "version":
	default:
		return usageError{fmt.Sprintf("unknown verb %q", verb)}
	}
	list, err := loadList(file)
	if err != nil {
		return err
	}
	cni := libcni.NewCNIConfigWithCacheDir(pluginDirs(os.Getenv("CNI_PATH")), os.Getenv("CNI_CACHE_DIR"), nil)

	switch verb {
	case "validate":
		caps, err := cni.ValidateNetworkList(ctx, list)
		if err != nil {
			return err
		}
		return printJSON(map[string]interface{}{"name": list.Name, "cniVersion": list.CNIVersion, "capabilities": caps})
	case "version":
		return printVersions(ctx, cni, list)
	}

	if len(args) < 3 || len(args) > 5 {
		return usageError{verb + " takes CONFLIST NETNS [ID] [IFNAME]"}
	}
	rt, err := runtimeConf(args[2:])
	if err != nil {
		return err
	}
	switch verb {
	case "add":
		res, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			return err
		}
		return res.Print()
	case "check":
		return cni.CheckNetworkList(ctx, list, rt)
	default:
		return cni.DelNetworkList(ctx, list, rt)
	}
}

// loadList reads a .conflist, or wraps a single-plugin .conf in a list as runtimes do.
func loadList(file string) (*libcni.NetworkConfigList, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	var probe struct {
		Plugins json.RawMessage `json:"plugins"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, usageError{fmt.Sprintf("%s: %v", file, err)}
	}
	if probe.Plugins != nil {
		return libcni.ConfListFromBytes(raw)
	}
	conf, err := libcni.ConfFromBytes(raw)
	if err != nil {
		return nil, err
	}
	return libcni.ConfListFromConf(conf)
}

// pluginDirs splits CNI_PATH, dropping empty entries (a stray ':' must not mean the cwd).
func pluginDirs(path string) []string {
	var dirs []string
	for _, d := range strings.Split(path, ":") {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// runtimeConf builds the per-attachment arguments from NETNS [ID] [IFNAME] and the environment.
func runtimeConf(args []string) (*libcni.RuntimeConf, error) {
	rt := &libcni.RuntimeConf{NetNS: args[0], ContainerID: "cnirun-" + filepath.Base(args[0]), IfName: "eth0"}
	if len(args) > 1 {
		rt.ContainerID = args[1]
	}
	if len(args) > 2 {
		rt.IfName = args[2]
	}
	if ca := os.Getenv("CAP_ARGS"); ca != "" {
		if err := json.Unmarshal([]byte(ca), &rt.CapabilityArgs); err != nil {
			return nil, usageError{fmt.Sprintf("CAP_ARGS is not a JSON object: %v", err)}
		}
	}
	if a := os.Getenv("CNI_ARGS"); a != "" {
		for _, pair := range strings.Split(a, ";") {
			k, v, ok := strings.Cut(pair, "=")
			if !ok || k == "" {
				return nil, usageError{fmt.Sprintf("CNI_ARGS: %q is not K=V", pair)}
			}
			rt.Args = append(rt.Args, [2]string{k, v})
		}
	}
	return rt, nil
}

// printVersions asks every plugin type of the list for its VERSION answer.
func printVersions(ctx context.Context, cni *libcni.CNIConfig, list *libcni.NetworkConfigList) error {
	out := map[string]interface{}{}
	for _, p := range list.Plugins {
		info, err := cni.GetVersionInfo(ctx, p.Network.Type)
		if err != nil {
			return fmt.Errorf("%s: %w", p.Network.Type, err)
		}
		out[p.Network.Type] = info.SupportedVersions()
	}
	return printJSON(out)
}

func printJSON(v interface{}) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// report prints err for a person (stderr) and, when a plugin returned a CNI error, for a program
// (the error JSON on stdout, as the plugin gave it); it returns the exit status.
func report(err error) int {
	var uerr usageError
	if errors.As(err, &uerr) {
		fmt.Fprintf(os.Stderr, "cnirun: %s\n%s\n", uerr.msg, usage)
		return 2
	}
	fmt.Fprintln(os.Stderr, "cnirun:", err)
	var cerr *types.Error
	if errors.As(err, &cerr) {
		_ = cerr.Print()
	}
	return 1
}
