# The `ini_setting` provider hvrt's module uses for OpenStack configuration files.
#
# oslo.config, which reads nova.conf and the neutron agent files, files every
# section under a group: `DEFAULT` exactly as written, any other name lower-cased,
# so `[OVS]` and `[ovs]` are one group, and the last assignment of a key in the
# file wins. The `ruby` provider of puppetlabs-inifile matches section names
# exactly. This one resolves the section at apply time (after the MSI has written
# the file) to the file's own spelling of the group, the last section of it, and
# leaves the rest to the `ruby` provider, which sets the key in that section (every
# assignment of it there) or adds the section at the end of the file. Either way
# the value is the last assignment of the key in its group: what oslo.config reads.
Puppet::Type.type(:ini_setting).provide(
  :hvrt_oslo,
  parent: Puppet::Type.type(:ini_setting).provider(:ruby),
) do
  desc 'ini_setting with sections matched the way oslo.config groups them (DEFAULT exactly, others without regard to case).'

  # The group oslo.config files a section name under.
  def self.oslo_group(name)
    (name == 'DEFAULT') ? name : name.downcase
  end

  # The file's last spelling of the wanted section's group, or the wanted name.
  def section
    @hvrt_section ||= begin
      wanted = resource[:section].to_s
      group = self.class.oslo_group(wanted)
      found = nil
      if File.file?(file_path)
        File.readlines(file_path).each do |line|
          match = %r{\A\s*\[(.*)\]\s*\z}.match(line.chomp)
          found = match[1] if match && self.class.oslo_group(match[1]) == group
        end
      end
      found || wanted
    end
  end
end
