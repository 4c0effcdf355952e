# -*- mode: ruby -*-
# The lab's machines, loaded by the repository's root Vagrantfile.
# Shape and sizes come from vagrant/settings.yml + LAB_* variables, resolved by
# labtool.settings: the same code inventory/vagrant/hosts.py uses, so the
# machines and the Ansible inventory cannot drift apart.
require "json"
require "open3"

repo_root = File.expand_path("..", __dir__)
# The project's venv has the lab's tooling installed; a bare python3 does not.
venv_python = File.join(repo_root, ".venv", "bin", "python")
python = File.executable?(venv_python) ? venv_python : "python3"
settings_json, settings_error, status = Open3.capture3(python, "-m", "labtool.settings", chdir: repo_root)
abort(settings_error.strip.empty? ? "lab settings: #{python} failed" : settings_error.strip) unless status.success?
lab = JSON.parse(settings_json)
provider = lab["provider"]

if provider["driver"] == "qemu"
  $stderr.puts "lab: libvirt driver qemu, software emulation (TCG): expect boots of minutes and slow " \
       "package installs (#{provider['reason']})."
else
  $stderr.puts "lab: libvirt driver kvm (#{provider['reason']}). If VMs hang at boot, run with LAB_LIBVIRT_DRIVER=qemu."
end

Vagrant.configure("2") do |config|
  config.vm.box = lab["box"]
  config.vm.boot_timeout = provider["boot_timeout"]
  # No shared folder: NFS fails on many hosts and nothing in the guests needs the repo.
  config.vm.synced_folder ".", "/vagrant", disabled: true

  config.vm.provider :libvirt do |libvirt|
    libvirt.uri = provider["uri"]
    libvirt.driver = provider["driver"]
    libvirt.cpu_mode = provider["cpu_mode"]
    libvirt.cpu_model = provider["cpu_model"] if provider["cpu_model"]
    libvirt.storage_pool_name = provider["storage_pool"]
    # Domains are k3s-lab-server-1, k3s-lab-agent-1...: what `virsh destroy` takes.
    libvirt.default_prefix = provider["domain_prefix"]
    libvirt.graphics_type = "none"
  end

  lab["nodes"].each_with_index do |node, index|
    config.vm.define node["name"] do |machine|
      machine.vm.hostname = node["name"]
      # Cluster traffic: a host-only network, one per CIDR so a changed CIDR never reuses a stale one.
      machine.vm.network :private_network,
                         ip: node["ip"],
                         netmask: lab["network"]["netmask"],
                         libvirt__network_name: "k3s-lab-#{lab['network']['cidr'].tr('./', '--')}",
                         libvirt__dhcp_enabled: false,
                         libvirt__forward_mode: "none"
      machine.vm.provider :libvirt do |libvirt|
        libvirt.cpus = node["cpus"]
        libvirt.memory = node["memory"]
      end

      # Ansible runs once, from the last machine, over the whole inventory: the
      # same inventory/vagrant users run by hand. `vagrant provision` re-runs it.
      next unless index == lab["nodes"].length - 1

      machine.vm.provision "ansible" do |ansible|
        ansible.compatibility_mode = "2.0"
        ansible.playbook = File.join(repo_root, "playbooks", "site.yml")
        ansible.inventory_path = File.join(repo_root, "inventory", "vagrant")
        # "all" alone would drop the implicit localhost, which runs the inventory checks.
        ansible.limit = "all:localhost"
        ansible.config_file = File.join(repo_root, "ansible.cfg")
        ansible.tags = lab["ansible_tags"] unless lab["ansible_tags"].empty?
      end
    end
  end
end
