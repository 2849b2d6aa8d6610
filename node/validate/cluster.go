package validate

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/slipway-dev/slipway/node/agent"
	"github.com/slipway-dev/slipway/node/skew"
)

// nodeList is the part of a NodeList the checks read.
type nodeList struct {
	Items []struct {
		Metadata struct{ Name string }
		Status   struct {
			NodeInfo   struct{ KubeletVersion string }
			Conditions []struct{ Type, Status, Reason string }
		}
	}
}

// podList is the part of a PodList the checks read.
type podList struct {
	Items []struct {
		Metadata struct{ Name string }
		Spec     struct {
			NodeName   string
			Containers []struct{ Image string }
		}
		Status struct{ Phase string }
	}
}

// Cluster checks a running cluster read-only through kubeconfig's
// kube-apiserver: it answers /version and /readyz; every node is Ready
// and its kubelet within the skew policy of the kube-apiserver; the
// control-plane static pods run, and HA kube-apiservers are within one
// minor of each other.
func Cluster(ctx context.Context, kubeconfig string) *Report {
	r := &Report{Level: "cluster"}
	api, err := agent.APIServerVersion(ctx, kubeconfig)
	r.add("kube-apiserver: version", err, api.String())
	if err != nil {
		return r
	}
	body, err := agent.KubeGet(ctx, kubeconfig, "/readyz?verbose")
	if err != nil && len(body) > 0 {
		var failing []string
		for _, line := range strings.Split(string(body), "\n") {
			if strings.HasPrefix(line, "[-]") {
				failing = append(failing, strings.TrimPrefix(line, "[-]"))
			}
		}
		if len(failing) > 0 {
			err = fmt.Errorf("not ready: %s", strings.Join(failing, "; "))
		}
	}
	r.add("kube-apiserver: /readyz", err, "ok")
	var nodes nodeList
	if err := getJSON(ctx, kubeconfig, "/api/v1/nodes", &nodes); err != nil {
		r.add("nodes", err, "")
		return r
	}
	if len(nodes.Items) == 0 {
		r.add("nodes", fmt.Errorf("no node has registered"), "")
	}
	for _, n := range nodes.Items {
		r.add("node "+n.Metadata.Name, checkNode(n.Status.NodeInfo.KubeletVersion, n.Status.Conditions, api), "kubelet "+n.Status.NodeInfo.KubeletVersion)
	}
	checkControlPlane(ctx, r, kubeconfig, api)
	return r
}

// getJSON reads path from the kube-apiserver into v.
func getJSON(ctx context.Context, kubeconfig, path string, v any) error {
	b, err := agent.KubeGet(ctx, kubeconfig, path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func checkNode(kubelet string, conds []struct{ Type, Status, Reason string }, api skew.Version) error {
	v, err := skew.Parse(strings.TrimPrefix(strings.SplitN(kubelet, "-", 2)[0], "v"))
	if err != nil {
		return fmt.Errorf("kubelet version %q: %v", kubelet, err)
	}
	if e := skew.CheckComponent("kubelet", v, api); e != nil {
		return e
	}
	for _, c := range conds {
		if c.Type == "Ready" && c.Status == "True" {
			return nil
		}
		if c.Type == "Ready" {
			return fmt.Errorf("not Ready: %s", c.Reason)
		}
	}
	return fmt.Errorf("no Ready condition reported")
}

// checkControlPlane reads the static pods kubeadm labels
// tier=control-plane.
func checkControlPlane(ctx context.Context, r *Report, kubeconfig string, api skew.Version) {
	var pods podList
	if err := getJSON(ctx, kubeconfig, "/api/v1/namespaces/kube-system/pods?labelSelector=tier%3Dcontrol-plane", &pods); err != nil {
		r.add("control plane: pods", err, "")
		return
	}
	if len(pods.Items) == 0 {
		r.skip("control plane: pods", "no tier=control-plane pods (the kubelets' mirror pods appear once they run)")
		return
	}
	var notRunning, apis []string
	for _, p := range pods.Items {
		if p.Status.Phase != "Running" {
			notRunning = append(notRunning, p.Metadata.Name+" "+p.Status.Phase)
		}
		if strings.HasPrefix(p.Metadata.Name, "kube-apiserver") && len(p.Spec.Containers) > 0 {
			img := p.Spec.Containers[0].Image
			apis = append(apis, img[strings.LastIndex(img, ":")+1:])
		}
	}
	var err2 error
	if len(notRunning) > 0 {
		err2 = fmt.Errorf("not running: %s", strings.Join(notRunning, ", "))
	}
	r.add("control plane: pods", err2, fmt.Sprintf("%d pods", len(pods.Items)))
	sort.Strings(apis)
	versions := []skew.Version{api}
	var haErr error
	for _, tag := range apis {
		v, err := skew.Parse(strings.TrimPrefix(tag, "v"))
		if err != nil {
			continue // an image tag that is no version (a digest, "latest") says nothing
		}
		versions = append(versions, v)
	}
	if e := skew.CheckHA(versions); e != nil {
		haErr = e
	}
	r.add("control plane: kube-apiserver versions", haErr, strings.Join(apis, " "))
}
