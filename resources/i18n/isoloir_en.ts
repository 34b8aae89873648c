<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="fr_FR">
<context>
    <name>AssesseurAuthPage</name>
    <message>
        <source>Identification de l&apos;assesseur</source>
        <translation>Polling officer sign-in</translation>
    </message>
    <message>
        <source>Code de l&apos;assesseur</source>
        <translation>Polling officer&apos;s code</translation>
    </message>
    <message>
        <source>L&apos;assesseur saisit son code</source>
        <translation>The polling officer enters their code</translation>
    </message>
    <message>
        <source>Valider</source>
        <translation>Confirm</translation>
    </message>
    <message>
        <source>Vérifier le code de l&apos;assesseur</source>
        <translation>Check the polling officer&apos;s code</translation>
    </message>
    <message>
        <source>Retour</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>Revenir au choix du réassort</source>
        <translation>Back to the vote code replacement options</translation>
    </message>
</context>
<context>
    <name>ChallengePage</name>
    <message>
        <source>Chiffrement vérifiable</source>
        <translation>Verifiable encryption</translation>
    </message>
    <message>
        <source>La preuve du chiffrement a été imprimée. Ce bulletin est annulé : choisissez à nouveau pour voter.</source>
        <translation>The encryption proof has been printed. This ballot is cancelled: choose again to vote.</translation>
    </message>
    <message>
        <source>Choisir à nouveau</source>
        <translation>Choose again</translation>
    </message>
    <message>
        <source>Revenir aux listes</source>
        <translation>Back to the lists</translation>
    </message>
    <message>
        <source>Ce bulletin est annulé : choisissez à nouveau pour voter.</source>
        <translation>This ballot is cancelled: choose again to vote.</translation>
    </message>
    <message>
        <source>Code de suivi du bulletin annulé : %1</source>
        <translation>Tracking code of the cancelled ballot: %1</translation>
    </message>
</context>
<context>
    <name>ConfirmBar</name>
    <message>
        <source>Confirmer</source>
        <translation>Confirm</translation>
    </message>
    <message>
        <source>Faire l&apos;action demandée</source>
        <translation>Do what was asked</translation>
    </message>
    <message>
        <source>Annuler</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>Ne rien faire</source>
        <translation>Do nothing</translation>
    </message>
</context>
<context>
    <name>ConfirmPage</name>
    <message>
        <source>Confirmez votre vote</source>
        <translation>Confirm your vote</translation>
    </message>
    <message>
        <source>Après « JE VOTE », votre vote sera définitif et non modifiable.</source>
        <translation>After “CAST MY VOTE”, your vote is final and cannot be changed.</translation>
    </message>
    <message>
        <source>JE VOTE</source>
        <translation>CAST MY VOTE</translation>
    </message>
    <message>
        <source>Je vote</source>
        <translation>Cast my vote</translation>
    </message>
    <message>
        <source>Déposer ce bulletin : ce choix est définitif</source>
        <translation>Cast this ballot: this choice is final</translation>
    </message>
    <message>
        <source>RETOUR</source>
        <translation>BACK</translation>
    </message>
    <message>
        <source>Retour</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>Revenir aux listes sans voter</source>
        <translation>Back to the lists without voting</translation>
    </message>
    <message>
        <source>Vérifier le chiffrement</source>
        <translation>Check the encryption</translation>
    </message>
    <message>
        <source>Imprimer la preuve du chiffrement ; ce bulletin sera annulé et vous choisirez à nouveau</source>
        <translation>Print the encryption proof; this ballot will be cancelled and you will choose again</translation>
    </message>
    <message>
        <source>Code de suivi : %1</source>
        <translation>Tracking code: %1</translation>
    </message>
</context>
<context>
    <name>ConsoleDialog</name>
    <message>
        <source>Fermer le poste de vote ?</source>
        <translation>Close the voting station?</translation>
    </message>
    <message>
        <source>Console d&apos;administration</source>
        <translation>Admin console</translation>
    </message>
    <message>
        <source>administrateur</source>
        <translation>administrator</translation>
    </message>
    <message>
        <source>assesseur</source>
        <translation>polling officer</translation>
    </message>
    <message>
        <source>Sections de la console</source>
        <translation>Console sections</translation>
    </message>
    <message>
        <source>Choisir une section avec les flèches</source>
        <translation>Choose a section with the arrow keys</translation>
    </message>
    <message>
        <source>Quitter le poste</source>
        <translation>Close the voting station</translation>
    </message>
    <message>
        <source>Fermer le poste de vote (administrateur)</source>
        <translation>Close the voting station (administrator)</translation>
    </message>
    <message>
        <source>Retour au vote</source>
        <translation>Back to voting</translation>
    </message>
    <message>
        <source>Fermer la console et revenir à l&apos;accueil des électeurs</source>
        <translation>Close the console and go back to the voters&apos; welcome page</translation>
    </message>
</context>
<context>
    <name>CredentialsPage</name>
    <message>
        <source>Identification</source>
        <translation>Sign in</translation>
    </message>
    <message>
        <source>Identifiant (adresse électronique professionnelle)</source>
        <translation>Identifier (work e-mail address)</translation>
    </message>
    <message>
        <source>Identifiant</source>
        <translation>Identifier</translation>
    </message>
    <message>
        <source>Votre adresse électronique professionnelle</source>
        <translation>Your work e-mail address</translation>
    </message>
    <message>
        <source>Mot de passe électeur</source>
        <translation>Voter password</translation>
    </message>
    <message>
        <source>Le mot de passe de l&apos;élection que vous avez reçu</source>
        <translation>The election password you received</translation>
    </message>
    <message>
        <source>Valider</source>
        <translation>Confirm</translation>
    </message>
    <message>
        <source>Vérifier l&apos;identifiant et le mot de passe</source>
        <translation>Check the identifier and password</translation>
    </message>
    <message>
        <source>Retour</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>Revenir à l&apos;accueil</source>
        <translation>Back to the welcome screen</translation>
    </message>
</context>
<context>
    <name>DashboardSection</name>
    <message>
        <source>Tableau de bord</source>
        <translation>Dashboard</translation>
    </message>
    <message>
        <source>Bureau de vote</source>
        <translation>Polls</translation>
    </message>
    <message>
        <source>Bulletins déposés</source>
        <translation>Ballots cast</translation>
    </message>
    <message>
        <source>En attente d&apos;envoi</source>
        <translation>Waiting to be sent</translation>
    </message>
    <message>
        <source>Reçus par le serveur</source>
        <translation>Received by the server</translation>
    </message>
    <message>
        <source>Retenus par le serveur</source>
        <translation>Held by the server</translation>
    </message>
    <message>
        <source>Dernière synchronisation</source>
        <translation>Last sync</translation>
    </message>
    <message>
        <source>Espace disque libre</source>
        <translation>Free disk space</translation>
    </message>
    <message>
        <source>Imprimante</source>
        <translation>Printer</translation>
    </message>
    <message>
        <source>Mode du poste</source>
        <translation>Kiosk mode</translation>
    </message>
    <message>
        <source>poste en ligne (avec serveur central)</source>
        <translation>online kiosk (with a central server)</translation>
    </message>
    <message>
        <source>poste hors ligne (sans serveur central)</source>
        <translation>offline kiosk (no central server)</translation>
    </message>
    <message>
        <source>Actualiser</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <source>Relire l&apos;état du poste</source>
        <translation>Read the kiosk&apos;s state again</translation>
    </message>
    <message>
        <source>jamais</source>
        <translation>never</translation>
    </message>
    <message>
        <source>%1 Go</source>
        <translation>%1 GB</translation>
    </message>
    <message>
        <source>prête</source>
        <translation>ready</translation>
    </message>
    <message>
        <source>en défaut</source>
        <translation>not ready</translation>
    </message>
</context>
<context>
    <name>Diagnostics</name>
    <message>
        <source>stockage</source>
        <translation>store</translation>
    </message>
    <message>
        <source>journal d&apos;audit</source>
        <translation>audit journal</translation>
    </message>
    <message>
        <source>disque</source>
        <translation>disk</translation>
    </message>
    <message>
        <source>imprimante</source>
        <translation>printer</translation>
    </message>
    <message>
        <source>serveur central</source>
        <translation>central server</translation>
    </message>
    <message>
        <source>horloge</source>
        <translation>clock</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>ATTENTION</source>
        <translation>WARNING</translation>
    </message>
    <message>
        <source>ÉCHEC</source>
        <translation>FAILED</translation>
    </message>
</context>
<context>
    <name>DiagnosticsSection</name>
    <message>
        <source>Diagnostic</source>
        <translation>Diagnostics</translation>
    </message>
    <message>
        <source>Lancer le diagnostic</source>
        <translation>Run the diagnostics</translation>
    </message>
    <message>
        <source>Vérifier le stockage, le disque, l&apos;imprimante, le serveur et l&apos;horloge</source>
        <translation>Check the store, the disk, the printer, the server and the clock</translation>
    </message>
    <message>
        <source>Vérification</source>
        <translation>Check</translation>
    </message>
    <message>
        <source>Résultat</source>
        <translation>Result</translation>
    </message>
    <message>
        <source>Détail</source>
        <translation>Detail</translation>
    </message>
    <message>
        <source>Résultats du diagnostic</source>
        <translation>Diagnostics results</translation>
    </message>
    <message>
        <source>Une ligne par vérification : OK, ATTENTION ou ÉCHEC</source>
        <translation>One row per check: OK, WARNING or FAILED</translation>
    </message>
</context>
<context>
    <name>DisplayBar</name>
    <message>
        <source>A+</source>
        <translation>A+</translation>
    </message>
    <message>
        <source>Texte agrandi</source>
        <translation>Larger text</translation>
    </message>
    <message>
        <source>Agrandir ou réduire le texte</source>
        <translation>Make the text larger or smaller</translation>
    </message>
    <message>
        <source>Contraste</source>
        <translation>Contrast</translation>
    </message>
    <message>
        <source>Contraste élevé</source>
        <translation>High contrast</translation>
    </message>
    <message>
        <source>Activer ou désactiver le contraste élevé</source>
        <translation>Turn high contrast on or off</translation>
    </message>
    <message>
        <source>Afficher les pages en anglais</source>
        <translation>Show the pages in English</translation>
    </message>
    <message>
        <source>Afficher les pages en français</source>
        <translation>Show the pages in French</translation>
    </message>
</context>
<context>
    <name>DocumentViewer</name>
    <message>
        <source>Page %1 / %2</source>
        <translation>Page %1 / %2</translation>
    </message>
    <message>
        <source>Fermer le document</source>
        <translation>Close the document</translation>
    </message>
    <message>
        <source>Revenir aux listes</source>
        <translation>Back to the lists</translation>
    </message>
    <message>
        <source>Page précédente</source>
        <translation>Previous page</translation>
    </message>
    <message>
        <source>Afficher la page d&apos;avant</source>
        <translation>Show the previous page</translation>
    </message>
    <message>
        <source>Page suivante</source>
        <translation>Next page</translation>
    </message>
    <message>
        <source>Afficher la page d&apos;après</source>
        <translation>Show the next page</translation>
    </message>
    <message>
        <source>Zoom avant</source>
        <translation>Zoom in</translation>
    </message>
    <message>
        <source>Agrandir la page</source>
        <translation>Enlarge the page</translation>
    </message>
    <message>
        <source>Zoom arrière</source>
        <translation>Zoom out</translation>
    </message>
    <message>
        <source>Réduire la page</source>
        <translation>Shrink the page</translation>
    </message>
    <message>
        <source>Ajuster à la largeur</source>
        <translation>Fit to width</translation>
    </message>
    <message>
        <source>Agrandir la page à la largeur de l&apos;écran</source>
        <translation>Enlarge the page to the width of the screen</translation>
    </message>
    <message>
        <source>Document</source>
        <translation>Document</translation>
    </message>
    <message>
        <source>Les pages du document</source>
        <translation>The document&apos;s pages</translation>
    </message>
    <message>
        <source>Défilement vertical</source>
        <translation>Vertical scrolling</translation>
    </message>
    <message>
        <source>Faire défiler la page vers le haut ou vers le bas</source>
        <translation>Scroll the page up or down</translation>
    </message>
    <message>
        <source>Défilement horizontal</source>
        <translation>Horizontal scrolling</translation>
    </message>
    <message>
        <source>Faire défiler la page vers la gauche ou vers la droite</source>
        <translation>Scroll the page left or right</translation>
    </message>
    <message>
        <source>Ce document ne peut pas être affiché. Adressez-vous à un assesseur.</source>
        <translation>This document cannot be displayed. Please ask a polling officer.</translation>
    </message>
    <message>
        <source>Chargement…</source>
        <translation>Loading…</translation>
    </message>
    <message>
        <source>Numéro de la page affichée</source>
        <translation>Number of the page shown</translation>
    </message>
</context>
<context>
    <name>FinishedPage</name>
    <message>
        <source>Merci</source>
        <translation>Thank you</translation>
    </message>
    <message>
        <source>Votre séance de vote est terminée.</source>
        <translation>Your voting session is over.</translation>
    </message>
    <message>
        <source>Retour à l&apos;accueil</source>
        <translation>Back to the welcome screen</translation>
    </message>
    <message>
        <source>Laisser la place</source>
        <translation>Make way for the next voter</translation>
    </message>
</context>
<context>
    <name>FirstRunDialog</name>
    <message>
        <source>Les deux codes PIN diffèrent : rien n&apos;a été créé.</source>
        <translation>The two PINs differ: nothing was created.</translation>
    </message>
    <message>
        <source>Indiquez le fichier de clé à créer.</source>
        <translation>Give the key file to create.</translation>
    </message>
    <message>
        <source>Les deux phrases de passe diffèrent : rien n&apos;a été créé.</source>
        <translation>The two passphrases differ: nothing was created.</translation>
    </message>
    <message>
        <source>La phrase de passe est vide.</source>
        <translation>The passphrase is empty.</translation>
    </message>
    <message>
        <source>Création du poste…</source>
        <translation>Creating the kiosk…</translation>
    </message>
    <message>
        <source>Poste créé. Envoyez sa clé publique à l&apos;organisateur ; ouvrez ensuite le poste et connectez-vous à la console pour charger le scrutin.</source>
        <translation>Kiosk created. Send its public key to the organizer; then open the kiosk and sign in to the console to load the election.</translation>
    </message>
    <message>
        <source>Clé publique du poste {kiosk} : {key}</source>
        <translation>Public key of kiosk {kiosk}: {key}</translation>
    </message>
    <message>
        <source>Refusé : {reason}</source>
        <translation>Refused: {reason}</translation>
    </message>
    <message>
        <source>La création du poste a échoué ; rien n&apos;a été créé.</source>
        <translation>Creating the kiosk failed; nothing was created.</translation>
    </message>
    <message>
        <source>Premier démarrage du poste</source>
        <translation>Kiosk first run</translation>
    </message>
    <message>
        <source>Aucun poste n&apos;existe encore à {path}. Créez-le ici.</source>
        <translation>No kiosk exists at {path} yet. Create it here.</translation>
    </message>
    <message>
        <source>Identifiant du poste</source>
        <translation>Kiosk id</translation>
    </message>
    <message>
        <source>Fichier de clé à créer</source>
        <translation>Key file to create</translation>
    </message>
    <message>
        <source>Phrase de passe</source>
        <translation>Passphrase</translation>
    </message>
    <message>
        <source>Phrase de passe (encore)</source>
        <translation>Passphrase (again)</translation>
    </message>
    <message>
        <source>Premier administrateur</source>
        <translation>First administrator</translation>
    </message>
    <message>
        <source>Code PIN (6 à 12 chiffres)</source>
        <translation>PIN (6 to 12 digits)</translation>
    </message>
    <message>
        <source>Code PIN (encore)</source>
        <translation>PIN (again)</translation>
    </message>
    <message>
        <source>Clé du magasin : un nouveau fichier de clé</source>
        <translation>Store key: a new key file</translation>
    </message>
    <message>
        <source>Clé du magasin : une phrase de passe</source>
        <translation>Store key: a passphrase</translation>
    </message>
    <message>
        <source>Créer le poste</source>
        <translation>Create the kiosk</translation>
    </message>
    <message>
        <source>Ouvrir le poste</source>
        <translation>Open the kiosk</translation>
    </message>
    <message>
        <source>Crée le magasin chiffré, la clé du poste et le compte administrateur</source>
        <translation>Creates the encrypted store, the kiosk key and the administrator account</translation>
    </message>
</context>
<context>
    <name>FolderField</name>
    <message>
        <source>Parcourir…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <source>Parcourir : %1</source>
        <translation>Browse: %1</translation>
    </message>
    <message>
        <source>Choisir un dossier</source>
        <translation>Choose a folder</translation>
    </message>
    <message>
        <source>Choisir un fichier</source>
        <translation>Choose a file</translation>
    </message>
    <message>
        <source>Enregistrer sous</source>
        <translation>Save as</translation>
    </message>
</context>
<context>
    <name>GalleryPage</name>
    <message>
        <source>JE VEUX VOTER, J&apos;ACTIVE LA SÉLECTION DE MON CHOIX DE VOTE</source>
        <translation>I WANT TO VOTE: TURN ON THE SELECTION OF MY CHOICE</translation>
    </message>
    <message>
        <source>Je veux voter</source>
        <translation>I want to vote</translation>
    </message>
    <message>
        <source>Activer la sélection de votre choix de vote</source>
        <translation>Turn on the selection of your choice</translation>
    </message>
    <message>
        <source>Retour</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>Revenir à la liste des scrutins</source>
        <translation>Back to the list of elections</translation>
    </message>
    <message>
        <source>%1 — logo</source>
        <translation>%1 — logo</translation>
    </message>
    <message>
        <source>Le logo de la liste</source>
        <translation>The list&apos;s logo</translation>
    </message>
    <message>
        <source>Choisir ce vote (après « Je veux voter »)</source>
        <translation>Choose this vote (after “I want to vote”)</translation>
    </message>
    <message>
        <source>Ouvrir ce document</source>
        <translation>Open this document</translation>
    </message>
    <message>
        <source>Bulletin</source>
        <translation>Ballot paper</translation>
    </message>
    <message>
        <source>Profession de foi</source>
        <translation>Manifesto</translation>
    </message>
</context>
<context>
    <name>InactivityOverlay</name>
    <message>
        <source>Êtes-vous toujours là ?</source>
        <translation>Are you still there?</translation>
    </message>
    <message>
        <source>Je suis toujours là</source>
        <translation>I&apos;m still here</translation>
    </message>
    <message>
        <source>Reprendre là où vous en étiez</source>
        <translation>Pick up where you left off</translation>
    </message>
    <message numerus="yes">
        <source>Votre séance sera fermée dans %n seconde(s).</source>
        <translation>
            <numerusform>Your session will close in %n second.</numerusform>
            <numerusform>Your session will close in %n seconds.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>JournalSection</name>
    <message>
        <source>Journal</source>
        <translation>Journal</translation>
    </message>
    <message>
        <source>Heure</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>Événement</source>
        <translation>Event</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>Description</translation>
    </message>
    <message>
        <source>Détails</source>
        <translation>Details</translation>
    </message>
    <message>
        <source>Journal d&apos;audit</source>
        <translation>Audit journal</translation>
    </message>
    <message>
        <source>Les événements du poste, du plus ancien au plus récent</source>
        <translation>The kiosk&apos;s events, oldest first</translation>
    </message>
    <message>
        <source>Actualiser</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <source>Actualiser le journal</source>
        <translation>Refresh the journal</translation>
    </message>
    <message>
        <source>Relire le journal d&apos;audit</source>
        <translation>Read the audit journal again</translation>
    </message>
    <message>
        <source>Fichier d&apos;export du journal</source>
        <translation>Journal export file</translation>
    </message>
    <message>
        <source>Où écrire le journal exporté</source>
        <translation>Where to write the exported journal</translation>
    </message>
    <message>
        <source>Exporter le journal</source>
        <translation>Export the journal</translation>
    </message>
    <message>
        <source>Écrire le journal et la vérification de sa chaîne dans ce fichier</source>
        <translation>Write the journal and the check of its chain to this file</translation>
    </message>
    <message>
        <source>Choisissez d&apos;abord le fichier.</source>
        <translation>Choose the file first.</translation>
    </message>
    <message>
        <source>Journal exporté : %1</source>
        <translation>Journal exported: %1</translation>
    </message>
</context>
<context>
    <name>KioskWindow</name>
    <message>
        <source>Isoloir — vote électronique</source>
        <translation>Isoloir — electronic voting</translation>
    </message>
</context>
<context>
    <name>LockedPage</name>
    <message>
        <source>Trop de tentatives</source>
        <translation>Too many attempts</translation>
    </message>
    <message>
        <source>Continuer</source>
        <translation>Continue</translation>
    </message>
    <message>
        <source>Revenir à l&apos;accueil</source>
        <translation>Back to the welcome screen</translation>
    </message>
    <message>
        <source>Trop de tentatives : adressez-vous à un assesseur.</source>
        <translation>Too many attempts: please ask a polling officer.</translation>
    </message>
    <message>
        <source>Trop de tentatives de réassort : adressez-vous à un assesseur.</source>
        <translation>Too many vote code replacement attempts: please ask a polling officer.</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>Console d&apos;administration</source>
        <translation>Admin console</translation>
    </message>
    <message>
        <source>Réservé aux assesseurs et aux administrateurs du poste.</source>
        <translation>For the kiosk&apos;s polling officers and administrators only.</translation>
    </message>
    <message>
        <source>&amp;Identifiant</source>
        <translation>&amp;Name</translation>
    </message>
    <message>
        <source>&amp;Code</source>
        <translation>&amp;PIN</translation>
    </message>
    <message>
        <source>Identifiant de l&apos;opérateur</source>
        <translation>Operator name</translation>
    </message>
    <message>
        <source>Votre identifiant</source>
        <translation>Your operator name</translation>
    </message>
    <message>
        <source>Code de l&apos;opérateur</source>
        <translation>Operator PIN</translation>
    </message>
    <message>
        <source>Votre code, de 6 à 12 chiffres</source>
        <translation>Your PIN, 6 to 12 digits</translation>
    </message>
    <message>
        <source>Valider</source>
        <translation>Confirm</translation>
    </message>
    <message>
        <source>Ouvrir la console avec cet identifiant</source>
        <translation>Open the console with this name</translation>
    </message>
    <message>
        <source>Annuler</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>Revenir au vote</source>
        <translation>Back to voting</translation>
    </message>
    <message>
        <source>Compte bloqué : un administrateur doit le débloquer.</source>
        <translation>Account locked: an administrator must unlock it.</translation>
    </message>
    <message>
        <source>Trop d&apos;essais : compte bloqué jusqu&apos;au %1.</source>
        <translation>Too many attempts: account locked until %1.</translation>
    </message>
    <message>
        <source>Identifiant ou code incorrect.</source>
        <translation>Incorrect name or PIN.</translation>
    </message>
    <message>
        <source>Prochain essai possible à %1.</source>
        <translation>Next attempt possible at %1.</translation>
    </message>
    <message>
        <source>La vérification a échoué : réessayez.</source>
        <translation>The check failed: try again.</translation>
    </message>
</context>
<context>
    <name>NewCodePage</name>
    <message>
        <source>Votre nouveau code de vote</source>
        <translation>Your new vote code</translation>
    </message>
    <message>
        <source>J&apos;ai noté mon code</source>
        <translation>I have written down my code</translation>
    </message>
    <message>
        <source>Masquer le code et revenir à la saisie du code de vote</source>
        <translation>Hide the code and go back to entering the vote code</translation>
    </message>
    <message numerus="yes">
        <source>Ce code disparaîtra dans %n seconde(s).</source>
        <translation>
            <numerusform>This code will disappear in %n second.</numerusform>
            <numerusform>This code will disappear in %n seconds.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Notice</name>
    <message>
        <source>Veuillez remplir tous les champs.</source>
        <translation>Please fill in every field.</translation>
    </message>
    <message>
        <source>Identifiant ou mot de passe incorrect.</source>
        <translation>Incorrect identifier or password.</translation>
    </message>
    <message>
        <source>Trop de tentatives : veuillez patienter avant de réessayer.</source>
        <translation>Too many attempts: please wait before trying again.</translation>
    </message>
    <message>
        <source>Trop de tentatives : adressez-vous à un assesseur.</source>
        <translation>Too many attempts: please ask a polling officer.</translation>
    </message>
    <message>
        <source>Le bureau de vote n&apos;est pas ouvert.</source>
        <translation>The polling station is not open.</translation>
    </message>
    <message>
        <source>Le vote est clos.</source>
        <translation>Voting is closed.</translation>
    </message>
    <message>
        <source>Les caractères de l&apos;image ne correspondent pas : une nouvelle image est affichée.</source>
        <translation>The characters do not match the image: a new image is shown.</translation>
    </message>
    <message>
        <source>Code de vote incorrect.</source>
        <translation>Incorrect vote code.</translation>
    </message>
    <message>
        <source>Ce code de vote n&apos;est plus valable : obtenez un réassort de votre code de vote.</source>
        <translation>This vote code is no longer valid: get a replacement vote code.</translation>
    </message>
    <message>
        <source>Le nouveau code n&apos;est plus affiché.</source>
        <translation>The new code is no longer displayed.</translation>
    </message>
    <message>
        <source>Identifiant d&apos;assesseur incorrect.</source>
        <translation>Incorrect polling officer code.</translation>
    </message>
    <message>
        <source>Réponse ou NUMEN incorrect.</source>
        <translation>Incorrect answer or NUMEN.</translation>
    </message>
    <message>
        <source>Choisissez comment recevoir le jeton.</source>
        <translation>Choose how to receive the token.</translation>
    </message>
    <message>
        <source>Le message n&apos;a pas pu être envoyé : adressez-vous à un assesseur.</source>
        <translation>The message could not be sent: please ask a polling officer.</translation>
    </message>
    <message>
        <source>Un message vient de vous être envoyé : consultez votre messagerie.</source>
        <translation>A message has just been sent to you: check your inbox.</translation>
    </message>
    <message>
        <source>Jeton incorrect.</source>
        <translation>Incorrect token.</translation>
    </message>
    <message>
        <source>Autorisation expirée : recommencez le réassort.</source>
        <translation>Authorisation expired: start the vote code replacement again.</translation>
    </message>
    <message>
        <source>Ce service n&apos;est pas disponible sur ce poste.</source>
        <translation>This service is not available at this voting station.</translation>
    </message>
    <message>
        <source>Vous avez déjà voté pour ce scrutin.</source>
        <translation>You have already voted in this election.</translation>
    </message>
    <message>
        <source>Vous ne pouvez pas voter pour ce scrutin.</source>
        <translation>You cannot vote in this election.</translation>
    </message>
    <message>
        <source>Le reçu n&apos;a pas pu être imprimé : adressez-vous à un assesseur.</source>
        <translation>The receipt could not be printed: please ask a polling officer.</translation>
    </message>
    <message>
        <source>Un incident technique est survenu : adressez-vous à un assesseur.</source>
        <translation>A technical problem occurred: please ask a polling officer.</translation>
    </message>
    <message>
        <source>Réessayez dans %1 s.</source>
        <translation>Try again in %1 s.</translation>
    </message>
</context>
<context>
    <name>OperatorsSection</name>
    <message>
        <source>Opérateurs</source>
        <translation>Operators</translation>
    </message>
    <message>
        <source>Identifiant</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Rôle</source>
        <translation>Role</translation>
    </message>
    <message>
        <source>État</source>
        <translation>State</translation>
    </message>
    <message>
        <source>Opérateurs du poste</source>
        <translation>The kiosk&apos;s operators</translation>
    </message>
    <message>
        <source>Choisissez une ligne pour la retirer ou la débloquer</source>
        <translation>Choose a row to remove or unlock it</translation>
    </message>
    <message>
        <source>Code (6 à 12 chiffres)</source>
        <translation>PIN (6 to 12 digits)</translation>
    </message>
    <message>
        <source>Identifiant du nouvel opérateur</source>
        <translation>New operator&apos;s name</translation>
    </message>
    <message>
        <source>Lettres, chiffres, points ou tirets</source>
        <translation>Letters, digits, dots or dashes</translation>
    </message>
    <message>
        <source>Rôle du nouvel opérateur</source>
        <translation>New operator&apos;s role</translation>
    </message>
    <message>
        <source>Assesseur ou administrateur</source>
        <translation>Polling officer or administrator</translation>
    </message>
    <message>
        <source>Code du nouvel opérateur</source>
        <translation>New operator&apos;s PIN</translation>
    </message>
    <message>
        <source>De 6 à 12 chiffres, jamais affiché</source>
        <translation>6 to 12 digits, never shown</translation>
    </message>
    <message>
        <source>Assesseur</source>
        <translation>Polling officer</translation>
    </message>
    <message>
        <source>Administrateur</source>
        <translation>Administrator</translation>
    </message>
    <message>
        <source>Ajouter l&apos;opérateur</source>
        <translation>Add the operator</translation>
    </message>
    <message>
        <source>Créer ce compte d&apos;opérateur</source>
        <translation>Create this operator account</translation>
    </message>
    <message>
        <source>Retirer</source>
        <translation>Remove</translation>
    </message>
    <message>
        <source>Retirer l&apos;opérateur choisi</source>
        <translation>Remove the chosen operator</translation>
    </message>
    <message>
        <source>Débloquer</source>
        <translation>Unlock</translation>
    </message>
    <message>
        <source>Débloquer l&apos;opérateur choisi après trop d&apos;essais</source>
        <translation>Unlock the chosen operator after too many attempts</translation>
    </message>
    <message>
        <source>bloqué</source>
        <translation>locked</translation>
    </message>
    <message>
        <source>en attente jusqu&apos;au %1</source>
        <translation>waiting until %1</translation>
    </message>
    <message>
        <source>actif</source>
        <translation>active</translation>
    </message>
    <message>
        <source>Choisissez d&apos;abord un opérateur dans la liste.</source>
        <translation>Choose an operator in the list first.</translation>
    </message>
    <message>
        <source>Retirer l&apos;opérateur %1 ?</source>
        <translation>Remove the operator %1?</translation>
    </message>
    <message>
        <source>Opérateur retiré.</source>
        <translation>Operator removed.</translation>
    </message>
    <message>
        <source>Opérateur débloqué.</source>
        <translation>Operator unlocked.</translation>
    </message>
    <message>
        <source>Opérateur ajouté.</source>
        <translation>Operator added.</translation>
    </message>
</context>
<context>
    <name>PackageConsole</name>
    <message>
        <source>Poste sans scrutin</source>
        <translation>Kiosk without an election</translation>
    </message>
    <message>
        <source>Aucun scrutin n&apos;est chargé sur ce poste : un administrateur se connecte à la console pour le charger et inscrire le poste auprès du serveur.</source>
        <translation>No election is loaded on this kiosk: an administrator signs in to the console to load it and enroll the kiosk with the server.</translation>
    </message>
    <message>
        <source>Console d&apos;administration</source>
        <translation>Admin console</translation>
    </message>
</context>
<context>
    <name>PackageSection</name>
    <message>
        <source>Scrutin</source>
        <translation>Election</translation>
    </message>
    <message>
        <source>Paquet du scrutin (fichier .zip ou dossier du paquet) :</source>
        <translation>Election package (.zip file or package folder):</translation>
    </message>
    <message>
        <source>Fichier du paquet</source>
        <translation>Package file</translation>
    </message>
    <message>
        <source>Le fichier ou le dossier du paquet à examiner</source>
        <translation>The package file or folder to examine</translation>
    </message>
    <message>
        <source>Ou un support amovible (dossier) :</source>
        <translation>Or removable media (folder):</translation>
    </message>
    <message>
        <source>Dossier du support amovible</source>
        <translation>Removable media folder</translation>
    </message>
    <message>
        <source>Le premier paquet trouvé dans ce dossier est examiné</source>
        <translation>The first package found in this folder is examined</translation>
    </message>
    <message>
        <source>Examiner ce paquet</source>
        <translation>Examine this package</translation>
    </message>
    <message>
        <source>Vérifier le paquet et afficher son empreinte</source>
        <translation>Verify the package and show its fingerprint</translation>
    </message>
    <message>
        <source>Examiner le support</source>
        <translation>Examine the media</translation>
    </message>
    <message>
        <source>Vérifier le paquet du support amovible et afficher son empreinte</source>
        <translation>Verify the package on the removable media and show its fingerprint</translation>
    </message>
    <message>
        <source>Examiner le paquet du serveur</source>
        <translation>Examine the server&apos;s package</translation>
    </message>
    <message>
        <source>Télécharger le paquet du serveur central et afficher son empreinte</source>
        <translation>Download the central server&apos;s package and show its fingerprint</translation>
    </message>
    <message>
        <source>Charger ce scrutin</source>
        <translation>Load this election</translation>
    </message>
    <message>
        <source>Charger le paquet examiné dans le poste</source>
        <translation>Load the examined package into the kiosk</translation>
    </message>
    <message>
        <source>Inscrire le poste</source>
        <translation>Enroll the kiosk</translation>
    </message>
    <message>
        <source>Inscrire ce poste auprès du serveur central avec le jeton</source>
        <translation>Enroll this kiosk with the central server using the token</translation>
    </message>
    <message>
        <source>Jeton d&apos;inscription :</source>
        <translation>Enrollment token:</translation>
    </message>
    <message>
        <source>Jeton d&apos;inscription</source>
        <translation>Enrollment token</translation>
    </message>
    <message>
        <source>Le jeton à usage unique donné par le serveur central</source>
        <translation>The one-time token given by the central server</translation>
    </message>
    <message>
        <source>Choisissez d&apos;abord le fichier ou le dossier du paquet.</source>
        <translation>Choose the package file or folder first.</translation>
    </message>
    <message>
        <source>Comparez cette empreinte avec l&apos;empreinte officielle avant de charger.</source>
        <translation>Compare this fingerprint with the official one before loading.</translation>
    </message>
    <message>
        <source>Empreinte du paquet</source>
        <translation>Package fingerprint</translation>
    </message>
    <message>
        <source>%1 (%2) : %3 scrutins, %4 électeurs ; vote du %5 au %6 ; source : %7</source>
        <translation>%1 (%2): %3 elections, %4 voters; voting from %5 to %6; source: %7</translation>
    </message>
    <message>
        <source>L&apos;empreinte affichée est-elle identique à l&apos;empreinte officielle ? Charger ce scrutin ?</source>
        <translation>Is the fingerprint shown identical to the official one? Load this election?</translation>
    </message>
    <message>
        <source>Ce scrutin était déjà chargé.</source>
        <translation>This election was loaded already.</translation>
    </message>
    <message>
        <source>Scrutin chargé : le poste redémarre sur ce scrutin.</source>
        <translation>Election loaded: the kiosk restarts on this election.</translation>
    </message>
    <message>
        <source>Saisissez le jeton d&apos;inscription.</source>
        <translation>Enter the enrollment token.</translation>
    </message>
    <message>
        <source>Poste inscrit.</source>
        <translation>Kiosk enrolled.</translation>
    </message>
</context>
<context>
    <name>Polls</name>
    <message>
        <source>pas encore ouvert</source>
        <translation>not opened yet</translation>
    </message>
    <message>
        <source>ouvert</source>
        <translation>open</translation>
    </message>
    <message>
        <source>en pause</source>
        <translation>paused</translation>
    </message>
    <message>
        <source>fermé</source>
        <translation>closed</translation>
    </message>
</context>
<context>
    <name>PollsSection</name>
    <message>
        <source>Ouvrir le bureau de vote ? Le rapport d&apos;ouverture sera imprimé.</source>
        <translation>Open the polls? The opening report will be printed.</translation>
    </message>
    <message>
        <source>Clôturer le bureau de vote ? Plus aucun vote ne sera possible.</source>
        <translation>Close the polls? No more votes will be possible.</translation>
    </message>
    <message>
        <source>Rouvrir le bureau de vote clôturé ? Un rapport de réouverture sera imprimé.</source>
        <translation>Reopen the closed polls? A reopening report will be printed.</translation>
    </message>
    <message>
        <source>Bureau de vote</source>
        <translation>Polls</translation>
    </message>
    <message>
        <source>Ouvrir</source>
        <translation>Open</translation>
    </message>
    <message>
        <source>Ouvrir le bureau de vote et imprimer le rapport d&apos;ouverture</source>
        <translation>Open the polls and print the opening report</translation>
    </message>
    <message>
        <source>Suspendre</source>
        <translation>Pause</translation>
    </message>
    <message>
        <source>Suspendre le vote un moment</source>
        <translation>Pause voting for a while</translation>
    </message>
    <message>
        <source>Reprendre</source>
        <translation>Resume</translation>
    </message>
    <message>
        <source>Reprendre le vote suspendu</source>
        <translation>Resume the paused voting</translation>
    </message>
    <message>
        <source>Clôturer</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>Clôturer le bureau de vote et imprimer le rapport de clôture</source>
        <translation>Close the polls and print the closing report</translation>
    </message>
    <message>
        <source>Rouvrir</source>
        <translation>Reopen</translation>
    </message>
    <message>
        <source>Rouvrir le bureau de vote clôturé (administrateur)</source>
        <translation>Reopen the closed polls (administrator)</translation>
    </message>
    <message>
        <source>Réimprimer le rapport d&apos;ouverture</source>
        <translation>Print the opening report again</translation>
    </message>
    <message>
        <source>Imprimer encore le dernier rapport d&apos;ouverture</source>
        <translation>Print the last opening report again</translation>
    </message>
    <message>
        <source>Réimprimer le rapport de clôture</source>
        <translation>Print the closing report again</translation>
    </message>
    <message>
        <source>Imprimer encore le dernier rapport de clôture</source>
        <translation>Print the last closing report again</translation>
    </message>
    <message>
        <source>État : %1</source>
        <translation>State: %1</translation>
    </message>
    <message>
        <source>Aucun rapport de ce type n&apos;a encore été produit.</source>
        <translation>No report of this kind has been made yet.</translation>
    </message>
    <message>
        <source>Rapport de clôture</source>
        <translation>Closing report</translation>
    </message>
    <message>
        <source>Rapport de réouverture</source>
        <translation>Reopening report</translation>
    </message>
    <message>
        <source>Rapport d&apos;ouverture</source>
        <translation>Opening report</translation>
    </message>
    <message>
        <source>%1 signé, enregistré dans %2</source>
        <translation>%1 signed, saved in %2</translation>
    </message>
    <message>
        <source>impression en cours…</source>
        <translation>printing…</translation>
    </message>
</context>
<context>
    <name>Printer</name>
    <message>
        <source>PDF seulement : %1</source>
        <translation>PDF only: %1</translation>
    </message>
    <message>
        <source>pas d&apos;imprimante (%1) : les papiers sont écrits en PDF</source>
        <translation>no printer (%1): papers are written as PDF</translation>
    </message>
    <message>
        <source>%1 : prête</source>
        <translation>%1: ready</translation>
    </message>
    <message>
        <source>%1 : impression en cours</source>
        <translation>%1: printing</translation>
    </message>
    <message>
        <source>%1 : arrêtée</source>
        <translation>%1: stopped</translation>
    </message>
    <message>
        <source>%1 : en erreur</source>
        <translation>%1: error</translation>
    </message>
</context>
<context>
    <name>PrinterSection</name>
    <message>
        <source>Imprimante</source>
        <translation>Printer</translation>
    </message>
    <message>
        <source>Imprimer une page de test</source>
        <translation>Print a test page</translation>
    </message>
    <message>
        <source>Vérifier que l&apos;imprimante imprime</source>
        <translation>Check that the printer prints</translation>
    </message>
    <message>
        <source>Impression en cours…</source>
        <translation>Printing…</translation>
    </message>
</context>
<context>
    <name>ReassortChoicePage</name>
    <message>
        <source>Réassort de votre code de vote</source>
        <translation>Replace your vote code</translation>
    </message>
    <message>
        <source>Répondre à ma question secrète</source>
        <translation>Answer my secret question</translation>
    </message>
    <message>
        <source>Question secrète</source>
        <translation>Secret question</translation>
    </message>
    <message>
        <source>Recevoir un jeton par courriel ou SMS après la question secrète</source>
        <translation>Receive a token by e-mail or SMS after the secret question</translation>
    </message>
    <message>
        <source>J&apos;ai reçu un jeton</source>
        <translation>I have received a token</translation>
    </message>
    <message>
        <source>Saisir le jeton reçu par courriel ou SMS</source>
        <translation>Enter the token received by e-mail or SMS</translation>
    </message>
    <message>
        <source>Avec un assesseur</source>
        <translation>With a polling officer</translation>
    </message>
    <message>
        <source>Un assesseur vous accompagne pour obtenir un nouveau code</source>
        <translation>A polling officer helps you get a new code</translation>
    </message>
    <message>
        <source>Retour</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>Revenir au code de vote</source>
        <translation>Back to the vote code</translation>
    </message>
</context>
<context>
    <name>ReassortQuestionPage</name>
    <message>
        <source>Question secrète</source>
        <translation>Secret question</translation>
    </message>
    <message>
        <source>Réponse</source>
        <translation>Answer</translation>
    </message>
    <message>
        <source>La réponse à votre question secrète</source>
        <translation>The answer to your secret question</translation>
    </message>
    <message>
        <source>NUMEN</source>
        <translation>NUMEN</translation>
    </message>
    <message>
        <source>Votre numéro d&apos;identification (NUMEN)</source>
        <translation>Your identification number (NUMEN)</translation>
    </message>
    <message>
        <source>Recevoir le jeton par :</source>
        <translation>Receive the token by:</translation>
    </message>
    <message>
        <source>Valider</source>
        <translation>Confirm</translation>
    </message>
    <message>
        <source>Vérifier les réponses</source>
        <translation>Check the answers</translation>
    </message>
    <message>
        <source>Retour</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>Revenir au choix du réassort</source>
        <translation>Back to the vote code replacement options</translation>
    </message>
    <message>
        <source>Courriel</source>
        <translation>E-mail</translation>
    </message>
    <message>
        <source>SMS</source>
        <translation>SMS</translation>
    </message>
    <message>
        <source>Recevoir le jeton par ce moyen</source>
        <translation>Receive the token this way</translation>
    </message>
</context>
<context>
    <name>ReassortTokenPage</name>
    <message>
        <source>Jeton de réassort</source>
        <translation>Replacement token</translation>
    </message>
    <message>
        <source>Jeton</source>
        <translation>Token</translation>
    </message>
    <message>
        <source>Le jeton reçu, par exemple ABCD-EFGH</source>
        <translation>The token you received, for example ABCD-EFGH</translation>
    </message>
    <message>
        <source>Arrêter la caméra</source>
        <translation>Stop the camera</translation>
    </message>
    <message>
        <source>Arrêter la lecture du QR code</source>
        <translation>Stop reading the QR code</translation>
    </message>
    <message>
        <source>Présentez le QR code du message à la caméra.</source>
        <translation>Show the message&apos;s QR code to the camera.</translation>
    </message>
    <message>
        <source>Scanner le QR code</source>
        <translation>Scan the QR code</translation>
    </message>
    <message>
        <source>Lire avec la caméra le QR code du message reçu</source>
        <translation>Read the QR code of the message with the camera</translation>
    </message>
    <message>
        <source>Pas de caméra : saisissez le jeton</source>
        <translation>No camera: type the token</translation>
    </message>
    <message>
        <source>Caméra</source>
        <translation>Camera</translation>
    </message>
    <message>
        <source>Ce que voit la caméra : placez le QR code au centre</source>
        <translation>What the camera sees: put the QR code in the middle</translation>
    </message>
    <message>
        <source>Valider</source>
        <translation>Confirm</translation>
    </message>
    <message>
        <source>Vérifier le jeton</source>
        <translation>Check the token</translation>
    </message>
    <message>
        <source>Retour</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>Revenir au code de vote</source>
        <translation>Back to the vote code</translation>
    </message>
    <message>
        <source>Saisissez le jeton que vous avez reçu.</source>
        <translation>Enter the token you received.</translation>
    </message>
    <message>
        <source>Un message vient de vous être envoyé à %1.</source>
        <translation>A message has just been sent to %1.</translation>
    </message>
</context>
<context>
    <name>ReceiptPage</name>
    <message>
        <source>Votre vote est enregistré</source>
        <translation>Your vote has been recorded</translation>
    </message>
    <message>
        <source>Code de suivi</source>
        <translation>Tracking code</translation>
    </message>
    <message>
        <source>Imprimer</source>
        <translation>Print</translation>
    </message>
    <message>
        <source>Imprimer à nouveau le récépissé</source>
        <translation>Print the receipt again</translation>
    </message>
    <message>
        <source>Scrutin suivant</source>
        <translation>Next election</translation>
    </message>
    <message>
        <source>Revenir à la liste des scrutins</source>
        <translation>Back to the list of elections</translation>
    </message>
    <message>
        <source>Terminer</source>
        <translation>Finish</translation>
    </message>
    <message>
        <source>Terminer la séance de vote</source>
        <translation>End the voting session</translation>
    </message>
    <message>
        <source>Le %1 à %2 (%3)</source>
        <translation>On %1 at %2 (%3)</translation>
    </message>
    <message>
        <source>Déposé dans l&apos;urne</source>
        <translation>Deposited in the ballot box</translation>
    </message>
    <message>
        <source>En attente de transmission</source>
        <translation>Awaiting transmission</translation>
    </message>
</context>
<context>
    <name>RefusedPage</name>
    <message>
        <source>Aucun vote n&apos;a été enregistré</source>
        <translation>No vote has been recorded</translation>
    </message>
    <message>
        <source>Continuer</source>
        <translation>Continue</translation>
    </message>
    <message>
        <source>Quitter ce message</source>
        <translation>Dismiss this message</translation>
    </message>
    <message>
        <source>Incident technique</source>
        <translation>Technical problem</translation>
    </message>
</context>
<context>
    <name>RegenerateWarningPage</name>
    <message>
        <source>Nouveau code de vote</source>
        <translation>New vote code</translation>
    </message>
    <message>
        <source>Munissez-vous d&apos;un stylo ou d&apos;un téléphone : le nouveau code restera affiché 120 secondes, puis disparaîtra définitivement. L&apos;ancien code ne sera plus valable.</source>
        <translation>Have a pen or a phone ready: the new code will be shown for 120 seconds, then disappear for good. The old code will no longer be valid.</translation>
    </message>
    <message>
        <source>RÉGÉNÉRER MON CODE DE VOTE</source>
        <translation>GENERATE MY NEW VOTE CODE</translation>
    </message>
    <message>
        <source>Régénérer mon code de vote</source>
        <translation>Generate my new vote code</translation>
    </message>
    <message>
        <source>Créer un nouveau code de vote ; l&apos;ancien devient invalide</source>
        <translation>Create a new vote code; the old one stops working</translation>
    </message>
    <message>
        <source>Retour</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>Revenir au code de vote</source>
        <translation>Back to the vote code</translation>
    </message>
</context>
<context>
    <name>ScrutinListPage</name>
    <message>
        <source>Vos scrutins</source>
        <translation>Your elections</translation>
    </message>
    <message>
        <source>Terminer</source>
        <translation>Finish</translation>
    </message>
    <message>
        <source>Terminer la séance de vote</source>
        <translation>End the voting session</translation>
    </message>
    <message>
        <source>Fermeture du vote dans %1 j %2 h %3 min</source>
        <translation>Voting closes in %1 d %2 h %3 min</translation>
    </message>
    <message>
        <source>a voté</source>
        <translation>voted</translation>
    </message>
    <message>
        <source>à voter</source>
        <translation>not yet voted</translation>
    </message>
    <message>
        <source>Vous avez déjà voté pour ce scrutin</source>
        <translation>You have already voted in this election</translation>
    </message>
    <message>
        <source>Voter pour ce scrutin</source>
        <translation>Vote in this election</translation>
    </message>
</context>
<context>
    <name>Section</name>
    <message>
        <source>En cours…</source>
        <translation>Working…</translation>
    </message>
    <message>
        <source>Votre rôle ne permet pas cette action.</source>
        <translation>Your role does not allow this action.</translation>
    </message>
    <message>
        <source>L&apos;opération a échoué (%1). Consultez le diagnostic.</source>
        <translation>The operation failed (%1). See the diagnostics.</translation>
    </message>
    <message>
        <source>Imprimé.</source>
        <translation>Printed.</translation>
    </message>
    <message>
        <source>Pas d&apos;imprimante : une copie PDF est dans le dossier des impressions.</source>
        <translation>No printer: a PDF copy is in the prints folder.</translation>
    </message>
    <message>
        <source>Non imprimé.</source>
        <translation>Not printed.</translation>
    </message>
</context>
<context>
    <name>SyncSection</name>
    <message>
        <source>Synchronisation</source>
        <translation>Sync</translation>
    </message>
    <message>
        <source>Synchroniser maintenant</source>
        <translation>Sync now</translation>
    </message>
    <message>
        <source>Envoyer au serveur central les bulletins en attente</source>
        <translation>Send the waiting ballots to the central server</translation>
    </message>
    <message>
        <source>Progression de l&apos;envoi</source>
        <translation>Sending progress</translation>
    </message>
    <message>
        <source>Support amovible (dossier) :</source>
        <translation>Removable media (folder):</translation>
    </message>
    <message>
        <source>Dossier du support amovible</source>
        <translation>Removable media folder</translation>
    </message>
    <message>
        <source>Où écrire le lot signé des bulletins</source>
        <translation>Where to write the signed bundle of ballots</translation>
    </message>
    <message>
        <source>Exporter</source>
        <translation>Export</translation>
    </message>
    <message>
        <source>Écrire les bulletins non reçus dans un lot signé sur le support</source>
        <translation>Write the ballots not yet received into a signed bundle on the media</translation>
    </message>
    <message>
        <source>Synchronisation interrompue : %1</source>
        <translation>Sync stopped: %1</translation>
    </message>
    <message>
        <source>Reçus : %1 (dont %2 déjà reçus) ; refusés : %3 ; retenus : %4 ; restant à envoyer : %5</source>
        <translation>Received: %1 (%2 of them already); rejected: %3; held: %4; left to send: %5</translation>
    </message>
    <message>
        <source>Choisissez d&apos;abord le dossier du support.</source>
        <translation>Choose the media folder first.</translation>
    </message>
    <message>
        <source>Lot écrit : %1</source>
        <translation>Bundle written: %1</translation>
    </message>
</context>
<context>
    <name>VoteCodePage</name>
    <message>
        <source>Code de vote</source>
        <translation>Vote code</translation>
    </message>
    <message>
        <source>Saisissez votre code de vote</source>
        <translation>Enter your vote code</translation>
    </message>
    <message>
        <source>Le code de vote que vous avez reçu</source>
        <translation>The vote code you received</translation>
    </message>
    <message>
        <source>Recopiez les chiffres de l&apos;image</source>
        <translation>Type the digits shown in the image</translation>
    </message>
    <message>
        <source>Image de vérification</source>
        <translation>Verification image</translation>
    </message>
    <message>
        <source>Nouvelle image</source>
        <translation>New image</translation>
    </message>
    <message>
        <source>Afficher une autre image à recopier</source>
        <translation>Show another image to copy</translation>
    </message>
    <message>
        <source>Chiffres de l&apos;image</source>
        <translation>Digits in the image</translation>
    </message>
    <message>
        <source>Les chiffres lus dans l&apos;image de vérification</source>
        <translation>The digits read from the verification image</translation>
    </message>
    <message>
        <source>Cliquez ici pour obtenir un réassort de votre code de vote</source>
        <translation>Click here to get a replacement vote code</translation>
    </message>
    <message>
        <source>Réassort du code de vote</source>
        <translation>Vote code replacement</translation>
    </message>
    <message>
        <source>Obtenir un nouveau code de vote si vous l&apos;avez perdu</source>
        <translation>Get a new vote code if you have lost yours</translation>
    </message>
    <message>
        <source>Valider</source>
        <translation>Confirm</translation>
    </message>
    <message>
        <source>Vérifier le code de vote</source>
        <translation>Check the vote code</translation>
    </message>
    <message>
        <source>Retour</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>Revenir à l&apos;identification</source>
        <translation>Back to sign-in</translation>
    </message>
    <message>
        <source>Chargement…</source>
        <translation>Loading…</translation>
    </message>
</context>
<context>
    <name>VotersSection</name>
    <message>
        <source>Électeurs</source>
        <translation>Voters</translation>
    </message>
    <message>
        <source>Identifiant de l&apos;électeur bloqué :</source>
        <translation>Identifier of the locked voter:</translation>
    </message>
    <message>
        <source>Identifiant de l&apos;électeur</source>
        <translation>Voter identifier</translation>
    </message>
    <message>
        <source>L&apos;identifiant que l&apos;électeur saisit pour voter</source>
        <translation>The identifier the voter types to vote</translation>
    </message>
    <message>
        <source>Débloquer</source>
        <translation>Unlock</translation>
    </message>
    <message>
        <source>Débloquer l&apos;électeur</source>
        <translation>Unlock the voter</translation>
    </message>
    <message>
        <source>Effacer les échecs de cet électeur sur ce poste</source>
        <translation>Clear this voter&apos;s failed attempts on this kiosk</translation>
    </message>
    <message>
        <source>Saisissez l&apos;identifiant.</source>
        <translation>Enter the identifier.</translation>
    </message>
    <message>
        <source>Électeur débloqué.</source>
        <translation>Voter unlocked.</translation>
    </message>
    <message>
        <source>Aucun blocage pour cet identifiant.</source>
        <translation>No lock for this identifier.</translation>
    </message>
</context>
<context>
    <name>WelcomePage</name>
    <message>
        <source>Bienvenue</source>
        <translation>Welcome</translation>
    </message>
    <message>
        <source>Élections professionnelles : votez sur ce poste.</source>
        <translation>Professional elections: vote at this station.</translation>
    </message>
    <message>
        <source>Afficher les pages en français</source>
        <translation>Show the pages in French</translation>
    </message>
    <message>
        <source>Afficher les pages en anglais</source>
        <translation>Show the pages in English</translation>
    </message>
    <message>
        <source>Texte agrandi</source>
        <translation>Larger text</translation>
    </message>
    <message>
        <source>Agrandir ou réduire le texte</source>
        <translation>Make the text larger or smaller</translation>
    </message>
    <message>
        <source>Contraste élevé</source>
        <translation>High contrast</translation>
    </message>
    <message>
        <source>Activer ou désactiver le contraste élevé</source>
        <translation>Turn high contrast on or off</translation>
    </message>
    <message>
        <source>Commencer</source>
        <translation>Start</translation>
    </message>
    <message>
        <source>Commencer à voter</source>
        <translation>Start voting</translation>
    </message>
    <message>
        <source>Le bureau de vote n&apos;est pas encore ouvert.</source>
        <translation>The polls are not open yet.</translation>
    </message>
    <message>
        <source>Le bureau de vote est en pause : le vote reprendra bientôt.</source>
        <translation>The polls are paused: voting will resume soon.</translation>
    </message>
    <message>
        <source>Le bureau de vote est fermé.</source>
        <translation>The polls are closed.</translation>
    </message>
</context>
</TS>
