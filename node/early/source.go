package early

// FwCfgConfig is where QEMU's fw_cfg (module qemu_fw_cfg) shows an
// Ignition config passed with -fw_cfg name=opt/com.coreos/config,file=F.
const FwCfgConfig = "/sys/firmware/qemu_fw_cfg/by_name/opt/com.coreos/config/raw"

// Facts are what slipway-init found that can hold an Ignition config.
type Facts struct {
	// ESPConfig is the path of ESPConfig on the mounted ESP, empty when
	// there is no such file.
	ESPConfig string
	// FwCfg reports that FwCfgConfig exists.
	FwCfg bool
	// Platform is ignition.platform.id from the kernel command line.
	Platform string
}

// Source is where Ignition reads its config: Platform is Ignition's
// -platform, ConfigFile the file the "file" platform reads
// (IGNITION_CONFIG_FILE). The zero Source means there is no config.
type Source struct {
	Platform   string
	ConfigFile string
}

// ChooseSource picks the config source, first match wins: a config on the
// ESP (platform "file"), QEMU's fw_cfg (platform "qemu"), the platform
// named by ignition.platform.id, else none.
func ChooseSource(f Facts) Source {
	switch {
	case f.ESPConfig != "":
		return Source{Platform: "file", ConfigFile: f.ESPConfig}
	case f.FwCfg:
		return Source{Platform: "qemu"}
	case f.Platform != "":
		return Source{Platform: f.Platform}
	}
	return Source{}
}

// String describes the source for the console.
func (s Source) String() string {
	switch {
	case s.Platform == "":
		return "no Ignition config"
	case s.ConfigFile != "":
		return "platform " + s.Platform + " (" + s.ConfigFile + ")"
	}
	return "platform " + s.Platform
}
