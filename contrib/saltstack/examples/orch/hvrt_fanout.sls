{#- Fan-out: different hvrt profiles on several runner minions at the same time,
    then one merged report. Run on the salt-master:

      salt-run state.orchestrate orch.hvrt_fanout pillar='{"hvrt_fanout": {
          "config": "/srv/hvrt/hvrt.yaml", "results": "/srv/results",
          "published": "/srv/results/merged",
          "coordination": "redis://lab-redis.example:6379",
          "runs": {"runner1": "2012r2-vhdx", "runner2": "2016-vhdx"}}}'

    Each runner writes under <results>/<minion>; the merge step reads those folders,
    so <results> must be storage the master sees too (a shared mount). Every runner
    takes its host leases in the one coordination service, so two runs never use a
    host (a node, the controller) at the same time: a run waits for a host another
    runner holds. Without "coordination" each runner uses the config's
    lab.coordination, else a folder of its own host that the others do not see. -#}
{%- set fanout = salt['pillar.get']('hvrt_fanout') %}
{%- for minion, profile in fanout['runs'] | dictsort %}
hvrt-run-{{ minion }}:
  salt.function:
    - name: hvrt.run
    - tgt: {{ minion | tojson }}
    - kwarg:
        profile: {{ profile | tojson }}
        config: {{ fanout['config'] | tojson }}
        results: {{ (fanout['results'] ~ '/' ~ minion) | tojson }}
{%- if fanout.get('coordination') %}
        coordination: {{ fanout['coordination'] | tojson }}
{%- endif %}
    - timeout: {{ fanout.get('timeout', 86400) | int }}
    - parallel: True
{%- endfor %}

hvrt-merge:
  salt.runner:
    - name: hvrt.merge
    - runs:
{%- for minion in fanout['runs'] | sort %}
      - {{ (fanout['results'] ~ '/' ~ minion) | tojson }}
{%- endfor %}
    - out: {{ fanout['published'] | tojson }}
    - require:
{%- for minion in fanout['runs'] | sort %}
      - salt: hvrt-run-{{ minion }}
{%- endfor %}
